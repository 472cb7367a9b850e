/**
 * Looks for a private key in text that an adapter produced: as hex (with or without 0x, any
 * case), and inside base64 (of the key's text or of its raw bytes, at every alignment), so
 * that a key hidden in a signed transaction's bytes or an encoded body is found too.
 */
export function findKey(haystack: string, key: `0x${string}`): string | undefined {
  const hex = key.slice(2).toLowerCase();
  if (haystack.toLowerCase().includes(hex)) return 'hex';
  const forms = [Buffer.from(key), Buffer.from(hex), Buffer.from(hex, 'hex')];
  for (const bytes of forms) {
    for (let shift = 0; shift < 3; shift++) {
      // Base64 of the bytes from `shift` on, with the characters that depend on neighbours dropped.
      const b64 = bytes.subarray(shift).toString('base64').replace(/=+$/, '');
      const core = b64.slice(0, Math.floor((bytes.length - shift) / 3) * 4);
      const inner = core.slice(4, -4);
      if (inner.length >= 16 && (haystack.includes(inner) || haystack.includes(toUrlSafe(inner))))
        return 'base64';
    }
  }
  return undefined;
}

const toUrlSafe = (s: string) => s.replace(/\+/g, '-').replace(/\//g, '_');

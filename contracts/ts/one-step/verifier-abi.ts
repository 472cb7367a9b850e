import { reexecVerifierArtifact } from '../artifacts.generated.js';
import { KERNEL_VERIFIER_ARTIFACTS } from '../deploy.js';

type AbiItem =
  | (typeof reexecVerifierArtifact.abi)[number]
  | (typeof KERNEL_VERIFIER_ARTIFACTS)[number]['abi'][number];

/**
 * ReexecVerifier's ABI plus its kernel verifiers' errors. ReexecVerifier forwards each call
 * unchanged, so a bad witness reverts with a kernel verifier's error (`CannotCrop`,
 * `InputNotOpened`, ...): decode with this ABI to get the error by name.
 */
export const reexecVerifierAbi: readonly AbiItem[] = (() => {
  const items: AbiItem[] = [...reexecVerifierArtifact.abi];
  const seen = new Set(items.filter((i) => i.type === 'error').map((i) => JSON.stringify(i)));
  for (const { abi } of KERNEL_VERIFIER_ARTIFACTS) {
    for (const item of abi) {
      const key = JSON.stringify(item);
      if (item.type !== 'error' || seen.has(key)) continue;
      seen.add(key);
      items.push(item);
    }
  }
  return items;
})();

'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ImportProgress } from './import-progress';
import { useTRPC } from './trpc';

async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

async function jsonOf<T>(file: File | null, field: string): Promise<T | undefined> {
  if (!file || file.size === 0) return undefined;
  try {
    return JSON.parse(await file.text()) as T;
  } catch (error) {
    throw new Error(`${field} (${file.name}): not JSON: ${(error as Error).message}`);
  }
}

/** Import an example, or upload an ONNX file with calibration (and optionally labelled eval) data. */
export function ModelImportForm() {
  const trpc = useTRPC();
  const examples = useQuery(trpc.model.examples.queryOptions());
  const [jobId, setJobId] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const onStarted = {
    onSuccess: (r: { jobId: string }) => setJobId(r.jobId),
    onError: (e: { message: string }) => setProblem(e.message),
  };
  const importExample = useMutation(trpc.model.importExample.mutationOptions(onStarted));
  const upload = useMutation(trpc.model.upload.mutationOptions(onStarted));

  function startExample(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setProblem(undefined);
    const example = new FormData(event.currentTarget).get('example') as 'mnist-mlp' | 'mnist-cnn';
    importExample.mutate({ example });
  }

  async function startUpload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setProblem(undefined);
    const form = new FormData(event.currentTarget);
    try {
      const onnx = form.get('onnx') as File;
      if (!onnx || onnx.size === 0) throw new Error('onnx: choose an .onnx file');
      const calibration = await jsonOf<number[][]>(form.get('calibration') as File, 'calibration');
      if (!calibration) throw new Error('calibration: choose a JSON file of samples (number[][])');
      const evalSet = await jsonOf<{ inputs: number[][]; labels: number[] }>(
        form.get('eval') as File,
        'eval',
      );
      upload.mutate({
        name: String(form.get('name')),
        fileName: onnx.name,
        onnxBase64: await base64Of(onnx),
        calibration,
        ...(evalSet ? { evalSet } : {}),
        activationBits: Number(form.get('bits')) === 16 ? 16 : 8,
      });
    } catch (error) {
      setProblem((error as Error).message);
    }
  }

  return (
    <>
      <h2>Import an example</h2>
      <form className="row" onSubmit={startExample}>
        <label htmlFor="example">Example</label>
        <select id="example" name="example">
          {(examples.data ?? []).map((e) => (
            <option key={e.name} value={e.name}>
              {e.title}
            </option>
          ))}
        </select>
        <button type="submit" disabled={importExample.isPending}>
          Import example
        </button>
      </form>
      <h2>Upload an ONNX model</h2>
      <form className="form" onSubmit={startUpload}>
        <label htmlFor="name">Name</label>
        <input id="name" name="name" required pattern="[a-z0-9][a-z0-9\-]{0,62}" placeholder="my-model" />
        <label htmlFor="onnx">ONNX file</label>
        <input id="onnx" name="onnx" type="file" accept=".onnx" required />
        <label htmlFor="calibration">Calibration samples (JSON, number[][])</label>
        <input id="calibration" name="calibration" type="file" accept=".json,application/json" required />
        <label htmlFor="eval">Labelled eval set (JSON {'{ inputs, labels }'}, optional)</label>
        <input id="eval" name="eval" type="file" accept=".json,application/json" />
        <label htmlFor="bits">Activation bits</label>
        <select id="bits" name="bits" defaultValue="8">
          <option value="8">8</option>
          <option value="16">16</option>
        </select>
        <button type="submit" disabled={upload.isPending}>
          Upload and import
        </button>
      </form>
      {problem ? (
        <p role="alert" className="error">
          {problem}
        </p>
      ) : null}
      {jobId ? <ImportProgress jobId={jobId} /> : null}
    </>
  );
}

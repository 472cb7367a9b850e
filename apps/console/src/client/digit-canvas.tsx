'use client';
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';

const SIZE = 280;
const CELLS = 28;

function paintBlack(canvas: HTMLCanvasElement) {
  const c = canvas.getContext('2d', { willReadFrequently: true })!;
  c.fillStyle = '#000';
  c.fillRect(0, 0, SIZE, SIZE);
}

export interface DigitCanvasHandle {
  /** The drawing as 28×28 grey levels in 0–1, row by row (MNIST's layout: white on black). */
  pixels(): number[];
  clear(): void;
  /** Draws a sample "7", for keyboard users and tests. */
  sample(): void;
}

/** A black square to draw a digit on with a mouse, pen or finger. */
export const DigitCanvas = forwardRef<DigitCanvasHandle, { onChange?: () => void }>(function DigitCanvas(
  { onChange },
  ref,
) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const context = () => canvas.current!.getContext('2d', { willReadFrequently: true })!;
  const clear = () => paintBlack(canvas.current!);
  useEffect(() => paintBlack(canvas.current!), []);
  const line = (points: [number, number][]) => {
    const c = context();
    c.strokeStyle = '#fff';
    c.lineWidth = 22;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(...points[0]!);
    for (const p of points.slice(1)) c.lineTo(...p);
    c.stroke();
  };
  useImperativeHandle(ref, () => ({
    pixels() {
      const data = context().getImageData(0, 0, SIZE, SIZE).data;
      const cell = SIZE / CELLS;
      const out: number[] = [];
      for (let y = 0; y < CELLS; y++)
        for (let x = 0; x < CELLS; x++) {
          let sum = 0;
          for (let dy = 0; dy < cell; dy++)
            for (let dx = 0; dx < cell; dx++) sum += data[((y * cell + dy) * SIZE + x * cell + dx) * 4]!;
          out.push(sum / (cell * cell * 255));
        }
      return out;
    },
    clear,
    sample() {
      clear();
      line([
        [80, 70],
        [200, 70],
        [130, 220],
      ]);
      onChange?.();
    },
  }));
  const at = (e: React.PointerEvent<HTMLCanvasElement>): [number, number] => {
    const r = canvas.current!.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * SIZE, ((e.clientY - r.top) / r.height) * SIZE];
  };
  const last = useRef<[number, number]>([0, 0]);
  return (
    <canvas
      ref={canvas}
      width={SIZE}
      height={SIZE}
      className="digit"
      aria-label="Drawing area: draw a digit with the pointer, or use the sample button"
      onPointerDown={(e) => {
        drawing.current = true;
        last.current = at(e);
        canvas.current!.setPointerCapture(e.pointerId);
      }}
      onPointerMove={(e) => {
        if (!drawing.current) return;
        const p = at(e);
        line([last.current, p]);
        last.current = p;
      }}
      onPointerUp={() => {
        drawing.current = false;
        onChange?.();
      }}
    />
  );
});

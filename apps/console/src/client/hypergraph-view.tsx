'use client';
import { Background, Controls, type Edge, type Node, ReactFlow } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo, useState } from 'react';
import type { GraphView } from '../server/models/graph-view';

const STEP = { width: 180, height: 48 };
const TENSOR = { width: 220, height: 56 };

interface Layout {
  readonly nodes: Node[];
  readonly edges: Edge[];
}

/** Lays the hypergraph out with ELK's layered algorithm: steps and tensors alternate top to bottom. */
async function layoutOf(view: GraphView): Promise<Layout> {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const used = new Set(view.steps.flatMap((s) => [...s.inputs, ...s.outputs]));
  const tensors = view.tensors.filter((t) => used.has(t.id));
  const edges = view.steps.flatMap((s) => [
    ...s.inputs.map((t) => ({ id: `t${t}-s${s.step}`, source: `t${t}`, target: `s${s.step}` })),
    ...s.outputs.map((t) => ({ id: `s${s.step}-t${t}`, source: `s${s.step}`, target: `t${t}` })),
  ]);
  const graph = await new ELK().layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
      'elk.spacing.nodeNode': '24',
    },
    children: [
      ...view.steps.map((s) => ({ id: `s${s.step}`, ...STEP })),
      ...tensors.map((t) => ({ id: `t${t.id}`, ...TENSOR })),
    ],
    edges: edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  const at = new Map((graph.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
  const nodes: Node[] = [
    ...view.steps.map((s) => ({
      id: `s${s.step}`,
      position: at.get(`s${s.step}`)!,
      data: { step: s.step, label: `#${s.step} ${s.op} · ${s.tiles} tile${s.tiles === 1 ? '' : 's'}` },
      className: 'hg-step',
      style: STEP,
      ariaLabel: `step ${s.step}, ${s.op} ${s.name}, ${s.tiles} tiles`,
    })),
    ...tensors.map((t) => ({
      id: `t${t.id}`,
      position: at.get(`t${t.id}`)!,
      data: { label: `${t.name}: ${t.dtype}${t.shape} × ${t.scale}` },
      className: `hg-tensor hg-${t.kind}`,
      style: TENSOR,
      selectable: false,
      ariaLabel: `${t.kind} tensor ${t.name}, ${t.dtype} ${t.shape}, scale ${t.scale}`,
    })),
  ];
  return { nodes, edges };
}

/**
 * Zoomable, pannable drawing of the hypergraph; clicking (or Enter on) a step selects it. Steps
 * in `highlight` ([lo, hi) in schedule order: a dispute's bisection interval) are marked.
 */
export default function HypergraphView({
  view,
  onSelect,
  highlight,
}: {
  view: GraphView;
  onSelect?: (step: number) => void;
  highlight?: { lo: number; hi: number };
}) {
  const [layout, setLayout] = useState<Layout>();
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    let live = true;
    layoutOf(view).then(
      (l) => live && setLayout(l),
      (e: Error) => live && setProblem(`layout failed: ${e.message}`),
    );
    return () => {
      live = false;
    };
  }, [view]);
  const [lo, hi] = [highlight?.lo ?? 0, highlight?.hi ?? 0];
  const nodes = useMemo(
    () =>
      layout?.nodes.map((node) => {
        const step = node.data.step;
        if (typeof step !== 'number' || step < lo || step >= hi) return node;
        return { ...node, className: 'hg-step hg-disputed', ariaLabel: `${node.ariaLabel}, in dispute` };
      }) ?? [],
    [layout, lo, hi],
  );
  if (problem)
    return (
      <p role="alert" className="error">
        {problem}
      </p>
    );
  if (!layout) return <p aria-live="polite">Laying out {view.steps.length} steps…</p>;
  const select = (node: Node) => {
    if (typeof node.data.step === 'number') onSelect?.(node.data.step);
  };
  return (
    <figure className="graph" aria-label={`Hypergraph: ${view.steps.length} steps`}>
      <ReactFlow
        nodes={nodes}
        edges={layout.edges}
        fitView
        minZoom={0.05}
        nodesDraggable={false}
        nodesConnectable={false}
        onNodeClick={(_, node) => select(node)}
        onSelectionChange={({ nodes }) => nodes[0] && select(nodes[0])}
        proOptions={{ hideAttribution: true }}
      >
        <Controls showInteractive={false} />
        <Background />
      </ReactFlow>
    </figure>
  );
}

/**
 * Figures as SVG, drawn by Vega-Lite and rendered by Vega's headless view (no browser, no canvas):
 * a pinned, well-kept plotting library whose SVG is a pure function of the specification, so the
 * figures are artefacts that verify compares byte for byte (a test renders each figure twice,
 * with other figures in between, and compares the bytes).
 *
 * @module
 */
import process from "node:process";
import type { TopLevelSpec } from "vega-lite";

// vega's data loader pulls in Node's punycode, which prints a deprecation warning on stderr.
(process as unknown as { noDeprecation: boolean }).noDeprecation = true;
const vega = await import("vega");
const vegaLite = await import("vega-lite");

/** One line of a chart: points (x, y), with an optional band [lo, hi] around it. */
export interface Series {
  readonly name: string;
  readonly points: readonly { x: number; y: number; lo?: number; hi?: number }[];
}

/** A panel of a line chart. */
export interface Panel {
  readonly title: string;
  readonly series: readonly Series[];
}

/** A chart of one or more side-by-side panels sharing their axes' titles. */
export interface LineChart {
  readonly title: string;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly panels: readonly Panel[];
  /** A logarithmic y axis (for quantities spanning decades). */
  readonly logY?: boolean;
  /** Each panel with a y scale of its own (for panels of different quantities). */
  readonly independentY?: boolean;
}

/**
 * Render a Vega-Lite specification to SVG text (ending in a newline).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderSvg } from "./charts.ts";
 * const svg = await renderSvg({
 *   data: { values: [{ x: 0, y: 1 }, { x: 1, y: 2 }] },
 *   mark: "line",
 *   encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
 * });
 * assert.ok(svg.startsWith("<svg"), svg.slice(0, 40));
 * ```
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return `${await view.toSVG()}\n`;
  } finally {
    view.finalize();
  }
}

/** The data rows of a chart: one per point, with its panel and series. */
function rows(chart: LineChart) {
  return chart.panels.flatMap((panel) =>
    panel.series.flatMap((s) =>
      s.points.map((p) => ({
        panel: panel.title,
        series: s.name,
        x: p.x,
        y: p.y,
        lo: p.lo ?? p.y,
        hi: p.hi ?? p.y,
      }))
    )
  );
}

/**
 * A line chart (one line per series, a shaded band where the points carry `lo`/`hi`), one panel
 * per entry of `panels`, rendered to SVG.
 */
export async function lineChartSvg(chart: LineChart): Promise<string> {
  const y = {
    field: "y",
    type: "quantitative" as const,
    title: chart.yTitle,
    scale: chart.logY ? { type: "log" as const } : { zero: false },
  };
  const color = { field: "series", type: "nominal" as const, title: null };
  const x = { field: "x", type: "quantitative" as const, title: chart.xTitle };
  return await renderSvg({
    title: chart.title,
    data: { values: rows(chart) },
    facet: {
      column: {
        field: "panel",
        type: "nominal",
        title: null,
        sort: chart.panels.map((p) => p.title),
      },
    },
    spec: {
      width: 320,
      height: 220,
      layer: [
        {
          mark: { type: "area", fillOpacity: 0.18 },
          encoding: {
            x,
            y: { field: "lo", type: "quantitative", scale: y.scale, title: chart.yTitle },
            y2: { field: "hi" },
            color,
          },
        },
        { mark: { type: "line", strokeWidth: 1.5 }, encoding: { x, y, color } },
      ],
    },
    resolve: { scale: { y: chart.independentY ? "independent" : "shared" } },
    config: {
      font: "sans-serif",
      view: { stroke: "#ccc" },
      legend: { symbolType: "stroke", symbolStrokeWidth: 2, labelFontSize: 11, labelLimit: 400 },
    },
  } as TopLevelSpec);
}

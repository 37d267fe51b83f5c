import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** Bars instead of a line. */
  bars?: boolean;
}

/** A moment to flag on a time axis (an anomaly): a dashed vertical line with a label. */
export interface ChartMarker {
  x: number;
  label: string;
}

const palette = ["#2563eb", "#d97706", "#059669", "#db2777", "#7c3aed", "#0891b2", "#65a30d", "#dc2626"];

/**
 * One chart of the dashboard, drawn by uPlot. `x` holds Unix seconds for a time axis, or the
 * index of each label in `categories` for a category axis. The chart is described in words for
 * screen readers by `summary` (the tables beside it hold the same numbers).
 */
export function Chart(props: {
  summary: string;
  x: number[];
  series: ChartSeries[];
  categories?: string[];
  height?: number;
  format?: (n: number) => string;
  markers?: ChartMarker[];
}) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const { categories, format, markers } = props;
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height: props.height ?? 220,
      legend: { show: props.series.length > 1 },
      cursor: { points: { show: false } },
      ...(markers?.length ? { hooks: { draw: [(u: uPlot) => drawMarkers(u, markers)] } } : {}),
      // A category axis shows each category once, its bar or point centred on it.
      scales: { x: categories ? { time: false, range: () => [-0.5, categories.length - 0.5] } : { time: true } },
      // Buckets are wall-clock times of the view's time zone, sent as if UTC: show them as such.
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
      axes: [
        categories
          ? {
              splits: () => categories.map((_, i) => i),
              values: (_u, splits) => splits.map((s) => categories[s] ?? ""),
              gap: 4,
            }
          : {},
        format ? { values: (_u, splits) => splits.map(format), size: 70 } : { size: 60 },
      ],
      series: [
        {},
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: palette[i % palette.length],
          width: 2,
          ...(s.bars
            ? {
                fill: `${palette[i % palette.length]}99`,
                paths: uPlot.paths.bars?.({ size: [0.7, 60] }),
                points: { show: false },
              }
            : { points: { show: categories !== undefined } }),
        })),
      ],
    };
    const plot = new uPlot(options, [props.x, ...props.series.map((s) => s.values)], element);
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(element.clientWidth, 200), height: options.height }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.x, props.series, props.categories, props.height, props.format, props.markers]);
  return <div class="chart" ref={holder} role="img" aria-label={props.summary} />;
}

function drawMarkers(u: uPlot, markers: ChartMarker[]) {
  const { ctx } = u;
  const { top, height } = u.bbox;
  ctx.save();
  ctx.strokeStyle = "#dc2626";
  ctx.fillStyle = "#b91c1c";
  ctx.setLineDash([4, 4]);
  ctx.lineWidth = 1.5 * devicePixelRatio;
  ctx.font = `${11 * devicePixelRatio}px sans-serif`;
  for (const marker of markers) {
    const x = Math.round(u.valToPos(marker.x, "x", true));
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.fillText(marker.label, x + 4, top + 12 * devicePixelRatio);
  }
  ctx.restore();
}

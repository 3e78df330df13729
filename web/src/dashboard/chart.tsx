// A bar chart drawn by uPlot (loaded with the dashboard, never in the first load), with its figures also as a
// table for screen readers and for reading exact values.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Series {
  label: string;
  values: number[];
  color: string;
}

export function BarChart(props: {
  title: string;
  labels: string[];
  series: Series[];
  format: (value: number) => string;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const { labels, series, format } = props;

  useEffect(() => {
    const element = box.current;
    if (!element || labels.length === 0) return;
    const bars = uPlot.paths.bars?.({ size: [0.6, 64], gap: 2 });
    const xs = labels.map((_, index) => index);
    // Several series share a category and overlap: the later (e.g. weighted, never above the amount) on top.
    const data: uPlot.AlignedData = [xs, ...series.map((item) => item.values)];
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 280),
        height: props.height ?? 240,
        legend: { show: false },
        cursor: { show: true, points: { show: false } },
        scales: { x: { time: false, range: [-0.5, labels.length - 0.5] } },
        axes: [
          {
            values: (_, ticks) => ticks.map((tick) => labels[tick] ?? ""),
            splits: () => xs,
            gap: 4,
            size: 40,
          },
          { values: (_, ticks) => ticks.map((tick) => format(tick)), size: 90 },
        ],
        series: [
          {},
          ...series.map((item) => ({
            label: item.label,
            fill: item.color,
            stroke: item.color,
            paths: bars,
            points: { show: false },
            value: (_: uPlot, value: number | null) => (value === null ? "" : format(value)),
          })),
        ],
      },
      data,
      element,
    );
    const observer = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(element.clientWidth, 280), height: props.height ?? 240 }),
    );
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [labels, series, format]);

  return (
    <figure class="chart">
      <figcaption>
        <strong>{props.title}</strong>
      </figcaption>
      <div ref={box} aria-hidden="true" />
      {series.length > 1 && (
        <ul class="legend" aria-hidden="true">
          {series.map((item) => (
            <li key={item.label}>
              <span class="swatch" style={{ background: item.color }} /> {item.label}
            </li>
          ))}
        </ul>
      )}
      <table class="sr-only">
        <caption>{props.title}</caption>
        <thead>
          <tr>
            <th scope="col" />
            {series.map((item) => (
              <th scope="col" key={item.label}>
                {item.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {labels.map((label, index) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              {series.map((item) => (
                <td key={item.label}>{format(item.values[index] ?? 0)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

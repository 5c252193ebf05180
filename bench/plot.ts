/** Hit ratio against cache size, one panel per trace: vega-lite -> SVG -> PNG. */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

export interface PlotRow {
  file: string;
  size: number;
  ourLru: number;
  ourWtinylfu: number;
  best: number;
}

export async function renderHitRatioPng(rows: PlotRow[]): Promise<Buffer> {
  const points = rows.flatMap((r) => {
    const trace = r.file.replace(/\..*$/, '');
    const size = r.file.endsWith('.bin') ? r.size / (1 << 20) : r.size;
    return [
      { trace, size, series: 'ringcache lru', hit: r.ourLru },
      { trace, size, series: 'ringcache wtinylfu', hit: r.ourWtinylfu },
      { trace, size, series: 'best published', hit: r.best },
    ];
  });
  const spec: vegaLite.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: points },
    facet: { field: 'trace', type: 'nominal', title: null, header: { labelFontSize: 13 } },
    columns: 4,
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: 230,
      height: 160,
      layer: [
        {
          transform: [{ filter: "datum.series !== 'best published'" }],
          mark: { type: 'line', point: true },
          encoding: {
            x: {
              field: 'size',
              type: 'quantitative',
              scale: { type: 'log' },
              title: 'cache size (entries; MiB)',
            },
            y: { field: 'hit', type: 'quantitative', title: 'hit ratio %' },
            color: {
              field: 'series',
              type: 'nominal',
              title: null,
              legend: { orient: 'top', labelFontSize: 13 },
            },
          },
        },
        {
          transform: [{ filter: "datum.series === 'best published'" }],
          mark: { type: 'point', shape: 'diamond', filled: true, size: 50, color: 'black' },
          encoding: {
            x: { field: 'size', type: 'quantitative' },
            y: { field: 'hit', type: 'quantitative' },
            shape: {
              field: 'series',
              type: 'nominal',
              title: null,
              legend: { orient: 'top', labelFontSize: 13 },
            },
          },
        },
      ],
    },
    config: { background: 'white', font: 'DejaVu Sans' },
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  const png = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: 1.5 },
    font: { loadSystemFonts: true },
  }).render();
  return png.asPng();
}

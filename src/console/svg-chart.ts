/** A bar chart as inline SVG, drawn on the server: no script, no library, and every label escaped. */
export interface BarChart {
  title: string;
  /** One group of bars per label (e.g. a day). */
  labels: string[];
  series: { name: string; colour: string; values: number[] }[];
  /** Stacked bars add up (threads per channel); grouped bars stand side by side. */
  stacked?: boolean;
  /** A horizontal line, e.g. the target time. */
  target?: { value: number; label: string };
  unit?: string;
}

const WIDTH = 720;
const HEIGHT = 240;
const MARGIN = { top: 28, right: 12, bottom: 44, left: 44 };

export function barChartSvg(chart: BarChart): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const totals = chart.labels.map((_, i) => (chart.stacked ? chart.series.reduce((sum, series) => sum + (series.values[i] ?? 0), 0) : Math.max(0, ...chart.series.map((series) => series.values[i] ?? 0))));
  const max = niceMax(Math.max(1, ...totals, chart.target?.value ?? 0));
  const y = (value: number) => MARGIN.top + plotHeight - (value / max) * plotHeight;
  const groupWidth = plotWidth / Math.max(1, chart.labels.length);
  const barWidth = chart.stacked ? groupWidth * 0.7 : (groupWidth * 0.8) / Math.max(1, chart.series.length);
  const parts: string[] = [];

  for (const tick of [0, max / 2, max]) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#dde3ea"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y(tick) + 4}" text-anchor="end" font-size="11">${escape(format(tick))}</text>`);
  }
  chart.labels.forEach((label, i) => {
    const x0 = MARGIN.left + i * groupWidth;
    let stackedTop = 0;
    chart.series.forEach((series, s) => {
      const value = series.values[i] ?? 0;
      if (value <= 0) return;
      const x = chart.stacked ? x0 + (groupWidth - barWidth) / 2 : x0 + groupWidth * 0.1 + s * barWidth;
      const top = chart.stacked ? y(stackedTop + value) : y(value);
      const bottom = chart.stacked ? y(stackedTop) : y(0);
      stackedTop += chart.stacked ? value : 0;
      parts.push(`<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${Math.max(0, bottom - top).toFixed(1)}" fill="${series.colour}"><title>${escape(`${label} ${series.name}: ${format(value)}${chart.unit ?? ''}`)}</title></rect>`);
    });
    parts.push(`<text x="${(x0 + groupWidth / 2).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" font-size="11">${escape(label)}</text>`);
  });
  if (chart.target) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(chart.target.value)}" y2="${y(chart.target.value)}" stroke="#a32020" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right}" y="${y(chart.target.value) - 5}" text-anchor="end" font-size="11" fill="#a32020">${escape(chart.target.label)}</text>`);
  }
  chart.series.forEach((series, s) => {
    const x = MARGIN.left + s * 130;
    parts.push(`<rect x="${x}" y="${HEIGHT - 16}" width="10" height="10" fill="${series.colour}"/><text x="${x + 14}" y="${HEIGHT - 7}" font-size="11">${escape(series.name)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escape(chart.title)}"><title>${escape(chart.title)}</title><text x="${MARGIN.left}" y="16" font-size="13" font-weight="bold">${escape(chart.title)}</text>${parts.join('')}</svg>`;
}

function niceMax(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((step) => step * magnitude).find((candidate) => candidate >= value) ?? value;
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);
}

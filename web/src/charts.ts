/** The page's three charts, made once and updated in place (chart.js, tree-shaken to what is used). */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
);
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;

const ACCENT = '#2f6fde';
const GREEN = '#1e8a4c';
const ORANGE = '#d9822b';
const GREY = '#9aa5b1';

/** Static charts: no animation, so what a screenshot or a test reads is the final picture. */
const base = { responsive: true, maintainAspectRatio: false, animation: false as const };

export function probabilityChart(canvas: HTMLCanvasElement) {
  const chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      datasets: [
        { label: 'probability', data: new Array(10).fill(0), backgroundColor: new Array(10).fill(GREY) },
      ],
    },
    options: {
      ...base,
      plugins: { legend: { display: false } },
      scales: {
        y: { min: 0, max: 1, ticks: { stepSize: 0.25, callback: (v) => `${Math.round(Number(v) * 100)} %` } },
      },
    },
  });
  return (probabilities: readonly number[]) => {
    const best = probabilities.indexOf(Math.max(...probabilities));
    chart.data.datasets[0]!.data = [...probabilities];
    chart.data.datasets[0]!.backgroundColor = probabilities.map((_, i) => (i === best ? ACCENT : GREY));
    chart.update();
  };
}

export interface Series {
  readonly labels: string[];
  readonly lines: { label: string; data: (number | null)[]; color: string }[];
}

export function lineChart(canvas: HTMLCanvasElement, yTitle: string) {
  const chart = new Chart<'line', (number | null)[], string>(canvas, {
    type: 'line',
    data: { labels: [], datasets: [] },
    options: {
      ...base,
      spanGaps: true,
      plugins: { legend: { position: 'bottom' } },
      scales: {
        y: {
          title: { display: true, text: yTitle },
          ticks: { callback: (v) => `${(Number(v) * 100).toFixed(1)} %` },
        },
        x: { ticks: { maxRotation: 45, autoSkip: true } },
      },
    },
  });
  return (s: Series) => {
    // At least a one-point range around the data, so close values do not share one rounded tick label.
    const values = s.lines.flatMap((l) => l.data).filter((v): v is number => v !== null);
    const y = chart.options.scales!.y!;
    y.suggestedMin = values.length ? Math.min(...values) - 0.005 : undefined;
    y.suggestedMax = values.length ? Math.min(1, Math.max(...values) + 0.005) : undefined;
    chart.data.labels = s.labels;
    chart.data.datasets = s.lines.map((l) => ({
      label: l.label,
      data: l.data,
      borderColor: l.color,
      backgroundColor: l.color,
      pointRadius: 4,
      tension: 0,
    }));
    chart.update();
  };
}

export const COLORS = { ACCENT, GREEN, ORANGE, GREY };

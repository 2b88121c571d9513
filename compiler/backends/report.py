"""The plan, shown: BUILD/report.json (for scripts), BUILD/report.html with its PNG plots (for people), and a table in
the terminal. All three are views of estimate.Estimate; the same build gives byte-identical files.

report.json keys scripts rely on: fps, latency_ms, interval_cycles, clock_mhz, utilization (per resource, 0..1),
layers (list: name, kind, macs, simd, pe, mac, weight_storage, ddr_rows, weight_kbit, cycles, share, resources,
processes), ddr_weights (bytes_per_frame and mb_per_s at the estimated fps: what the weights DMA reads from DDR, 0
without).
`squeezeflow bitstream` later adds a `vivado` key with the implemented design's utilisation and timing.
"""
from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import jinja2

from squeezeflow import templates

from ..kernels.kernel_costs import RESOURCES
from ..planner.estimate import Estimate, device_counts

TEMPLATES = Path(templates.__file__).resolve().parent / "report"
PLOTS = ("report_cycles.png", "report_resources.png")
LABELS = {"lut": "LUT", "lutram": "LUTRAM", "ff": "FF", "dsp": "DSP", "bram36": "BRAM36", "uram": "URAM"}


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def plots(est: Estimate) -> dict[str, bytes]:
    """Per-layer cycles against the interval, and a heat map of layer against resource (shares of the device,
    FIFOs counted with the layer that reads them)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rows = [r for r in est.layers if r.kind != "port"]
    names = [r.name for r in rows]
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.bar(range(len(rows)), [r.cycles for r in rows], color=["#c0392b" if r.name == est.bottleneck else "#2e86c1"
                                                              for r in rows])
    ax.axhline(est.interval_cycles, color="#555", linestyle="--", linewidth=1, label="frame interval")
    ax.set_xticks(range(len(rows)), names, rotation=70, ha="right", fontsize=7)
    ax.set_ylabel("cycles per frame")
    ax.set_title(f"Cycles per layer: {est.fps:.0f} fps at {est.clock_mhz:g} MHz on {est.board}")
    ax.legend(loc="upper right")
    fig.tight_layout()
    cycles = _png(fig)
    plt.close(fig)

    # Layer against resource, each cell its share of the device: 38 layers stay apart, unlike stacked bars.
    shown = [r for r in RESOURCES if est.capacity[r]]
    table = [[device_counts(row.resources)[r] / est.capacity[r] for r in shown] for row in est.layers]
    table.append([est.used[r] / est.capacity[r] for r in shown])
    labels = [row.name for row in est.layers] + ["total"]
    fig, ax = plt.subplots(figsize=(2.4 + 1.1 * len(shown), 1.2 + 0.24 * len(labels)))
    image = ax.imshow(table, cmap="Reds", vmin=0.0, vmax=max(0.25, max(max(row) for row in table[:-1])),
                      aspect="auto")
    for y, row in enumerate(table):
        for x, share in enumerate(row):
            if share >= 0.0005:
                ax.text(x, y, f"{100 * share:.1f}", ha="center", va="center", fontsize=6.5,
                        color="white" if share > 0.6 * image.get_clim()[1] else "black")
    ax.axhline(len(labels) - 1.5, color="#333", linewidth=1)
    ax.set_xticks(range(len(shown)), [LABELS[r] for r in shown], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_title(f"Resources per layer, % of the device ({est.part})", fontsize=9, pad=18)
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label="share of the device")
    fig.tight_layout()
    resources = _png(fig)
    plt.close(fig)
    return dict(zip(PLOTS, (cycles, resources)))


def write(build_dir, est: Estimate, net_name: str) -> None:
    """report.json, report.html and the PNGs into `build_dir`."""
    build_dir = Path(build_dir)
    doc = est.to_dict()
    (build_dir / "report.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    images = plots(est)
    for name, data in images.items():
        (build_dir / name).write_bytes(data)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    html = env.get_template("report.html.j2").render(
        est=est, doc=doc, name=net_name, labels=LABELS, resources=[r for r in RESOURCES if est.capacity[r]],
        all_resources=RESOURCES,
        images={name: base64.b64encode(data).decode() for name, data in images.items()})
    (build_dir / "report.html").write_text(html)


def print_table(est: Estimate, file=None) -> None:
    """The per-layer table, totals with utilisation bars, fps, latency and the roofline, in the terminal."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=file, width=160)
    table = Table(title=f"plan for {est.board} at {est.clock_mhz:g} MHz", title_justify="left")
    for column in ("layer", "MMACs", "SIMD", "PE", "MAC", "weights", "cycles", "share", "LUT", "FF", "DSP",
                   "BRAM36"):
        table.add_column(column, justify="left" if column in ("layer", "MAC", "weights") else "right")
    for r in est.layers:
        conv = r.simd is not None
        table.add_row(r.name, f"{r.macs / 1e6:.1f}" if conv else "", str(r.simd) if conv else "",
                      str(r.pe) if conv else "", r.mac or "", _weights(r), f"{r.cycles:,}",
                      f"{100 * r.share:.0f}%", f"{device_counts(r.resources)['lut']:,.0f}",
                      f"{r.resources['ff']:,.0f}", f"{r.resources['dsp']:g}", f"{r.resources['bram36']:g}",
                      style="bold red" if r.name == est.bottleneck else None)
    console.print(table)
    for r in RESOURCES:
        if not est.capacity[r]:
            continue
        u = est.utilization[r]
        filled = min(40, round(40 * u))
        console.print(f"  {LABELS[r]:7} [{'#' * filled}{'.' * (40 - filled)}] {100 * u:5.1f}%  "
                      f"{est.used[r]:,.0f} of {est.capacity[r]:,}", highlight=False)
    roof = est.roofline
    console.print(f"  {est.fps:.1f} fps (interval {est.interval_cycles:,} cycles, bottleneck {est.bottleneck}), "
                  f"latency {est.latency_ms:.2f} ms; DSP roofline {roof['fps']:.0f} fps "
                  f"({roof['dsp']} DSP x {roof['macs_per_dsp_cycle']} MAC/cycle): the plan reaches "
                  f"{100 * roof['fraction']:.0f}% of it", highlight=False)
    if est.ddr_weight_bytes:
        console.print(f"  weights from DDR: {est.ddr_weight_bytes / 1024:,.0f} KiB per frame, "
                      f"{est.ddr_weight_bytes * est.fps / 1e6:,.1f} MB/s", highlight=False)


def _weights(row) -> str:
    """Where a layer's weights live; from DDR, with the output rows per pass over them."""
    if row.ddr_rows:
        return f"{row.weight_storage}, {row.ddr_rows} rows/pass"
    return row.weight_storage or ""

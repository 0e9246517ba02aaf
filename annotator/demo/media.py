"""Synthetic microscopy-style demo videos, rendered locally with numpy and PyAV.

Each scene is a *frame function* ``fn(ctx, index) -> ndarray`` that returns an RGB ``uint8``
array of shape ``(height, width, 3)``.  Everything is drawn with vectorised numpy on small
windows around each object (distance masks + alpha or additive blending), so a 3 s 320x240
clip renders in a fraction of a second.

``variant`` imitates different "generator models" of the same scene (taken modulo 3):

* 0 -- clean and biologically plausible;
* 1 -- sensor noise, a slightly different colour palette, camera jitter and flicker;
* 2 -- clean look, but with a plausible biological *error* an expert should catch.

All randomness comes from ``numpy.random.default_rng(seed + variant)``, so the same arguments
always give the same frames (and, with the fixed encoder settings below, the same bytes).
"""

from __future__ import annotations

import itertools
import math
import os
import pathlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av
import numpy as np

F32 = np.float32
Color = tuple[float, float, float]

__all__ = ["SCENES", "FrameContext", "iter_frames", "render_video"]


# --------------------------------------------------------------------------------------------
# Frame context and drawing primitives
# --------------------------------------------------------------------------------------------


@dataclass
class FrameContext:
    """Everything a frame function needs: geometry, timing, variant and seeded randomness."""

    width: int
    height: int
    fps: int
    n_frames: int
    variant: int = 0
    seed: int = 0
    style: int = field(init=False)
    rng: np.random.Generator = field(init=False, repr=False)
    xs: np.ndarray = field(init=False, repr=False)
    ys: np.ndarray = field(init=False, repr=False)
    scale: float = field(init=False)
    _frame_seeds: np.ndarray = field(init=False, repr=False)
    _cache: dict[str, Any] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.style = self.variant % 3
        self.rng = np.random.default_rng(self.seed + self.variant)
        self._frame_seeds = self.rng.integers(0, 2**62, size=max(self.n_frames, 1))
        self.xs = np.arange(self.width, dtype=F32)
        self.ys = np.arange(self.height, dtype=F32)
        self.scale = min(self.width, self.height) / 240.0

    @property
    def m(self) -> float:
        """The short side of the frame in pixels."""
        return float(min(self.width, self.height))

    def time(self, index: int) -> float:
        """Seconds since the start of the clip."""
        return index / self.fps

    def progress(self, index: int) -> float:
        """Position in the clip from 0.0 (first frame) to 1.0 (last frame)."""
        return index / (self.n_frames - 1) if self.n_frames > 1 else 0.0

    def frame_rng(self, index: int) -> np.random.Generator:
        """A per-frame generator derived from the context's seeded generator."""
        return np.random.default_rng(int(self._frame_seeds[index % len(self._frame_seeds)]))

    def cached(self, key: str, factory: Callable[[FrameContext], Any]) -> Any:
        """Build per-clip state (static backgrounds, trajectories) once and reuse it."""
        if key not in self._cache:
            self._cache[key] = factory(self)
        return self._cache[key]


Window = tuple[tuple[slice, slice], np.ndarray, np.ndarray]


def _window(
    ctx: FrameContext, cx: float, cy: float, rx: float, ry: float | None = None
) -> Window | None:
    """Local coordinates (relative to cx, cy) for the pixels of a box around a point."""
    ry = rx if ry is None else ry
    x0, x1 = max(int(cx - rx - 1), 0), min(int(cx + rx + 2), ctx.width)
    y0, y1 = max(int(cy - ry - 1), 0), min(int(cy + ry + 2), ctx.height)
    if x0 >= x1 or y0 >= y1:
        return None
    xx = ctx.xs[x0:x1][None, :] - F32(cx)
    yy = ctx.ys[y0:y1][:, None] - F32(cy)
    return (slice(y0, y1), slice(x0, x1)), xx, yy


def _window_inside(
    ctx: FrameContext, cx: float, cy: float, rx: float, ry: float | None = None
) -> Window:
    """The window around a point a scene keeps inside the frame: an empty one is a bug."""
    win = _window(ctx, cx, cy, rx, ry)
    if win is None:
        raise RuntimeError(
            f"the window around ({cx:.1f}, {cy:.1f}) misses the {ctx.width}x{ctx.height} frame"
        )
    return win


def _smooth_min(distances: Iterable[np.ndarray], k: np.float32) -> np.ndarray:
    """Polynomial smooth minimum of signed distances: a union of shapes whose joins are
    rounded over about k pixels."""
    fields = iter(distances)
    sd = next(fields, None)
    if sd is None:
        raise ValueError("a smooth union needs at least one shape")
    for d in fields:
        hk = np.clip(0.5 + 0.5 * (d - sd) / k, 0.0, 1.0)
        sd = d + (sd - d) * hk - k * hk * (1.0 - hk)
    return sd


def _cov(sd: np.ndarray, aa: float = 0.8) -> np.ndarray:
    """Anti-aliased coverage from a signed distance in pixels (negative inside)."""
    return np.clip(F32(0.5) - sd / F32(aa), 0.0, 1.0)


def _blend(img: np.ndarray, sl: tuple[slice, slice], alpha: np.ndarray, color: Any) -> None:
    """Alpha-blend a colour (or per-pixel colours) over a window of ``img`` in place."""
    region = img[sl]
    region += alpha[..., None] * (np.asarray(color, dtype=F32) - region)


def _add(img: np.ndarray, sl: tuple[slice, slice], amount: np.ndarray, color: Any) -> None:
    """Additive (fluorescence-like) light in a window of ``img`` in place."""
    img[sl] += amount[..., None] * np.asarray(color, dtype=F32)


def _ellipse(
    xx: np.ndarray, yy: np.ndarray, rx: float, ry: float, angle: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rotated ellipse field: (normalised radius q, signed distance in px, u, v)."""
    c, s = F32(math.cos(angle)), F32(math.sin(angle))
    u = xx * c + yy * s
    v = yy * c - xx * s
    a, b = F32(rx), F32(ry)
    q = np.sqrt((u / a) ** 2 + (v / b) ** 2)
    grad = np.sqrt((u / (a * a)) ** 2 + (v / (b * b)) ** 2) / np.maximum(q, F32(1e-3))
    sd = (q - 1.0) / np.maximum(grad, F32(1e-4))
    return q, sd, u, v


def _smoothstep(e0: float, e1: float, x: Any) -> Any:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _lerp(a: Any, b: Any, t: Any) -> Any:
    return a + (b - a) * t


def _smooth_noise(
    rng: np.random.Generator, h: int, w: int, cell_y: float, cell_x: float | None = None
) -> np.ndarray:
    """Value noise in [0, 1) with feature size ``cell`` pixels (smoothstep interpolation)."""
    cell_x = cell_y if cell_x is None else cell_x
    gh, gw = int(h / cell_y) + 3, int(w / cell_x) + 3
    grid = rng.random((gh, gw), dtype=np.float32)
    fy = np.arange(h, dtype=F32) / F32(cell_y)
    fx = np.arange(w, dtype=F32) / F32(cell_x)
    y0, x0 = fy.astype(np.intp), fx.astype(np.intp)
    ty, tx = fy - y0, fx - x0
    ty, tx = ty * ty * (3 - 2 * ty), tx * tx * (3 - 2 * tx)
    a, b = grid[y0][:, x0], grid[y0][:, x0 + 1]
    c, d = grid[y0 + 1][:, x0], grid[y0 + 1][:, x0 + 1]
    top = a + (b - a) * tx[None, :]
    bottom = c + (d - c) * tx[None, :]
    return top + (bottom - top) * ty[:, None]


def _fbm(
    rng: np.random.Generator, h: int, w: int, cell: float, octaves: int = 3, stretch: float = 1.0
) -> np.ndarray:
    """A few octaves of value noise, normalised to roughly [0, 1]."""
    out = np.zeros((h, w), F32)
    amp, total = 1.0, 0.0
    for _ in range(octaves):
        out += F32(amp) * _smooth_noise(rng, h, w, max(cell, 1.0), max(cell * stretch, 1.0))
        total += amp
        amp *= 0.5
        cell /= 2.0
    return out / F32(total)


def _curve_distance(yy: np.ndarray, f: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Approximate distance from pixels to the curve y = f(x) (f, df sampled per column)."""
    return np.abs(yy - f[None, :]) / np.sqrt(1.0 + df[None, :] ** 2)


def _segment(
    img: np.ndarray,
    ctx: FrameContext,
    p0: tuple[float, float],
    p1: tuple[float, float],
    width: float,
    color: Color,
    strength: float,
    taper: bool = False,
) -> None:
    """Additive glowing line segment (spindle fibres, astral rays)."""
    (x0, y0), (x1, y1) = p0, p1
    win = _window(
        ctx,
        (x0 + x1) / 2,
        (y0 + y1) / 2,
        abs(x1 - x0) / 2 + 3 * width,
        abs(y1 - y0) / 2 + 3 * width,
    )
    if win is None or strength <= 0:
        return
    sl, xx, yy = win
    dx, dy = F32(x1 - x0), F32(y1 - y0)
    length2 = max(float(dx * dx + dy * dy), 1e-6)
    px, py = xx - F32((x1 - x0) / 2), yy - F32((y1 - y0) / 2)
    t = np.clip((px * dx + py * dy) / F32(length2) + 0.5, 0.0, 1.0)
    ex, ey = px - (t - 0.5) * dx, py - (t - 0.5) * dy
    d2 = ex * ex + ey * ey
    amount: np.ndarray = np.exp(-d2 / F32(width * width)) * F32(strength)
    if taper:
        amount = amount * (F32(0.35) + F32(0.65) * (1.0 - t))
    _add(img, sl, amount, color)


def _glow_dot(
    img: np.ndarray,
    ctx: FrameContext,
    cx: float,
    cy: float,
    radius: float,
    color: Color,
    strength: float,
    halo: float = 2.5,
) -> None:
    """Additive round fluorescent spot with a soft halo."""
    win = _window(ctx, cx, cy, radius * halo + 2)
    if win is None:
        return
    sl, xx, yy = win
    d2 = (xx * xx + yy * yy) / F32(radius * radius)
    amount = F32(strength) * (np.exp(-d2 * 1.6) + F32(0.25) * np.exp(-d2 / F32(halo)))
    _add(img, sl, amount, color)


# --------------------------------------------------------------------------------------------
# Camera / sensor simulation shared by all scenes
# --------------------------------------------------------------------------------------------


def _vignette(ctx: FrameContext, strength: float) -> np.ndarray:
    def build(c: FrameContext) -> np.ndarray:
        nx = (c.xs - c.width / 2) / (c.width / 2)
        ny = (c.ys - c.height / 2) / (c.height / 2)
        r2 = nx[None, :] ** 2 * 0.8 + ny[:, None] ** 2 * 0.8
        return (1.0 - F32(strength) * r2)[..., None].astype(F32)

    return ctx.cached(f"vignette{strength}", build)


GRAIN_PAD = 32


def _grain(ctx: FrameContext) -> np.ndarray:
    """Gaussian luminance noise plus weaker chroma noise, a little larger than the frame."""
    shape = (ctx.height + GRAIN_PAD, ctx.width + GRAIN_PAD)
    luma = ctx.rng.standard_normal((*shape, 1), dtype=np.float32)
    chroma = ctx.rng.standard_normal((*shape, 3), dtype=np.float32)
    return luma + F32(0.38) * chroma


def _finish(ctx: FrameContext, img: np.ndarray, index: int, *, bright: bool) -> np.ndarray:
    """Apply optics and the variant's camera look, then quantise to RGB uint8."""
    img = img * _vignette(ctx, 0.16 if bright else 0.08)
    if ctx.style == 1:
        rng = ctx.frame_rng(index)
        if bright:  # warm halogen lamp, lower contrast
            img = img * np.array([1.02, 0.95, 0.78], F32) + np.array([0.02, 0.02, 0.03], F32)
        else:  # greener/cyan filter set, lifted blacks
            mix = np.array([[0.85, 0.10, 0.05], [0.05, 0.90, 0.15], [0.05, 0.25, 0.95]], F32)
            img = img @ mix.T + np.array([0.025, 0.03, 0.04], F32)
        img = img * F32(1.0 + 0.04 * math.sin(index * 0.9) + 0.02 * rng.standard_normal())
        # sensor grain: a random crop (and sign) of a noise field made once per clip
        bank = ctx.cached("grain", _grain)
        oy, ox = (int(v) for v in rng.integers(0, GRAIN_PAD, size=2))
        grain = bank[oy : oy + ctx.height, ox : ox + ctx.width]
        if rng.random() < 0.5:
            grain = -grain
        if bright:
            img = img + grain * F32(0.028)
        else:
            img = img + (F32(0.015) + F32(0.07) * np.sqrt(np.clip(img, 0.0, None))) * grain
        amp = max(1, round(2 * ctx.scale))
        dx, dy = (int(v) for v in rng.integers(-amp, amp + 1, size=2))
        pad = amp
        img = np.pad(img, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
        img = img[pad + dy : pad + dy + ctx.height, pad + dx : pad + dx + ctx.width]
    out = np.clip(img * F32(255.0) + F32(0.5), 0.0, 255.0)
    return out.astype(np.uint8)


# --------------------------------------------------------------------------------------------
# Red blood cells (shared by blocked_artery and capillary_flow)
# --------------------------------------------------------------------------------------------

RBC_BODY: Color = (0.80, 0.22, 0.22)
RBC_RIM: Color = (0.58, 0.08, 0.10)
RBC_CENTRE: Color = (0.93, 0.58, 0.55)
RBC_NUCLEUS: Color = (0.30, 0.12, 0.38)


def _draw_rbc(
    img: np.ndarray,
    ctx: FrameContext,
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    angle: float,
    *,
    nucleated: bool = False,
    bend: float = 0.0,
    opacity: float = 0.95,
) -> None:
    """Brightfield red blood cell: red disc, darker rim, pale biconcave centre.

    ``bend`` > 0 curves the cell into a parachute shape (rear side concave) as seen in
    capillaries; ``nucleated`` draws an (erroneous) dark nucleus instead of the pale centre.
    """
    win = _window(ctx, cx, cy, max(rx, ry) + 2)
    if win is None:
        return
    sl, xx, yy = win
    c, s = math.cos(angle), math.sin(angle)
    if bend:
        v = (yy * F32(c) - xx * F32(s)) / F32(ry)
        shift = F32(bend * rx) * (v * v - F32(0.35))
        xx = xx + shift * F32(c)
        yy = yy + shift * F32(s)
    q, sd, u, v = _ellipse(xx, yy, rx, ry, angle)
    alpha = _cov(sd) * F32(opacity)
    body = np.asarray(RBC_BODY, F32)
    pale = np.exp(-((q / F32(0.5)) ** 4))
    rim = np.exp(-(((q - F32(0.82)) / F32(0.16)) ** 2))
    light = F32(0.06) * (-(u + v) / F32(rx + ry))  # soft illumination from the top-left
    color = body + rim[..., None] * (np.asarray(RBC_RIM, F32) - body) + light[..., None]
    if nucleated:
        nuc = _cov((q - F32(0.33)) * F32(min(rx, ry)), 0.9)
        color = color + nuc[..., None] * (np.asarray(RBC_NUCLEUS, F32) - color)
    else:
        color = color + (pale * F32(0.9))[..., None] * (np.asarray(RBC_CENTRE, F32) - color)
    _blend(img, sl, alpha, color)


# --------------------------------------------------------------------------------------------
# Scene: blocked_artery
# --------------------------------------------------------------------------------------------


def _artery_setup(ctx: FrameContext) -> dict[str, Any]:
    rng, w, h, m = ctx.rng, ctx.width, ctx.height, ctx.m
    yc, big_r, wall = 0.5 * h, 0.25 * h, 0.075 * h
    r = 0.046 * m
    yy = ctx.ys[:, None]
    xx = ctx.xs[None, :]

    # Static background: tissue, vessel wall with fibres, lumen (plasma).
    tissue = _fbm(rng, h, w, 0.25 * m, 3)
    img = np.empty((h, w, 3), F32)
    img[:] = np.array([0.93, 0.86, 0.80], F32)
    img *= (F32(0.93) + F32(0.10) * tissue)[..., None]
    edge = F32(big_r) + F32(0.012 * h) * np.sin(xx / F32(0.23 * w) + F32(rng.uniform(0, 6)))
    dist = np.abs(yy - F32(yc))
    fibres = _fbm(rng, h, w, 0.012 * m, 2, stretch=12.0)
    wall_col = np.array([0.87, 0.60, 0.62], F32) * (F32(0.9) + F32(0.16) * fibres)[..., None]
    _blend(img, (slice(None), slice(None)), _cov(dist - edge - F32(wall), 1.5), wall_col)
    lumen_col = np.array([0.66, 0.36, 0.38], F32) * (
        F32(0.96) + F32(0.06) * tissue[..., None] + F32(0.05) * (dist / F32(big_r))[..., None]
    )
    _blend(img, (slice(None), slice(None)), _cov(dist - edge, 1.0), lumen_col)
    endo = np.exp(-(((dist - edge) / F32(1.3)) ** 2)) * F32(0.35)
    _blend(img, (slice(None), slice(None)), endo, (0.55, 0.30, 0.33))

    # The clot: a dark irregular thrombus spanning the lumen at ~60% of the width, anchored
    # to both walls, with a tail along the lower wall downstream and pale fibrin streaks.
    ccx, ccy = 0.6 * w, yc
    csl, cx_, cy_ = _window_inside(ctx, ccx + 0.03 * w, ccy, 0.16 * w, big_r + wall)
    n_blobs = 14

    def blob(j: int) -> np.ndarray:
        by = (j / (n_blobs - 1) * 2 - 1) * 0.95 * big_r + rng.uniform(-0.1, 0.1) * big_r
        edge_w = abs(by) / big_r  # wider where it is anchored to the wall
        bx = rng.uniform(-0.04, 0.05) * w + edge_w * rng.uniform(0.0, 0.06) * w
        brad = rng.uniform(0.28, 0.42) * big_r * (1 + 0.4 * edge_w)
        return np.sqrt((cx_ - F32(bx)) ** 2 + ((cy_ - F32(by)) * F32(1.1)) ** 2) - F32(brad)

    # union of lumpy blobs filling the lumen (drawn from rng in order, one by one)
    clot_sd = _smooth_min((blob(j) for j in range(n_blobs)), F32(0.05 * w))
    shp = clot_sd.shape
    rough = _fbm(rng, shp[0], shp[1], 0.035 * m, 3)
    clot_sd = clot_sd + (rough - F32(0.5)) * F32(4.0 * ctx.scale)
    clot_alpha = _cov(clot_sd, 1.2)
    # keep the clot inside the vessel wall
    clot_alpha *= _cov(np.abs(cy_ + F32(ccy - yc)) - F32(big_r + wall * 0.45), 2.0)
    mesh = _fbm(rng, shp[0], shp[1], 0.03 * m, 3)
    depth = np.clip(-clot_sd / F32(0.06 * w), 0.0, 1.0)
    clot_col = np.stack(
        [
            F32(0.40) - F32(0.18) * depth + F32(0.12) * mesh,
            F32(0.08) + F32(0.05) * mesh - F32(0.03) * depth,
            F32(0.10) + F32(0.05) * mesh - F32(0.03) * depth,
        ],
        axis=-1,
    )
    # fibrin: ridged noise gives thin pale strands
    fib = _fbm(rng, shp[0], shp[1], 0.08 * m, 3)
    strands = np.clip(1.0 - np.abs(fib - F32(0.5)) * F32(25.0), 0.0, 1.0) * F32(0.28)
    clot_col += strands[..., None] * (np.array([0.86, 0.66, 0.62], F32) - clot_col)
    # red cells trapped on the surface of the clot
    speck = _fbm(rng, shp[0], shp[1], 0.04 * m, 2)
    trapped = np.clip((speck - 0.6) * 4.0, 0.0, 1.0) * np.clip(-clot_sd / 2.0, 0, 1) * (1.0 - depth)
    clot_col += trapped[..., None] * (np.array([0.68, 0.14, 0.15], F32) - clot_col)

    # Lanes of cells and where each lane meets the clot.
    n_lanes = max(3, round(2 * big_r / (2.15 * r)))
    lane_off = np.linspace(-(big_r - 1.15 * r), big_r - 1.15 * r, n_lanes)
    lane_off += rng.uniform(-0.12, 0.12, n_lanes) * r
    face = np.empty(n_lanes)
    row_x = ctx.xs[csl[1]]
    for li, off in enumerate(lane_off):
        row = min(max(round(yc + off) - csl[0].start, 0), clot_alpha.shape[0] - 1)
        inside = np.nonzero(clot_alpha[row] > 0.5)[0]
        face[li] = (row_x[inside[0]] if inside.size else ccx) - 0.45 * r

    # Car-following simulation (vectorised over lanes and cells) with a short warm-up; each
    # lane starts with a few cells already stuck at the clot and sparser ones arriving.
    v0 = 0.42 * w
    dt = 1.0 / ctx.fps
    warm = math.ceil(1.0 * ctx.fps)
    total_t = (warm + ctx.n_frames) * dt
    k_cells = math.ceil((v0 * total_t + 1.3 * w) / (5.0 * r)) + 12
    pack = rng.uniform(0.8, 1.25, (n_lanes, k_cells)) * r  # spacing in the pile (rouleaux)
    gaps0 = rng.uniform(2.5, 8.0, (n_lanes, k_cells)) * r
    pre = rng.integers(3, 7, n_lanes)
    for li in range(n_lanes):
        gaps0[li, : pre[li]] = pack[li, : pre[li]]
    x = face[:, None] - np.cumsum(gaps0, axis=1) + pack[:, :1]  # index 0 = front of the queue
    offset = np.concatenate([np.zeros((n_lanes, 1)), np.cumsum(pack[:, 1:], axis=1)], axis=1)
    profile = 1.0 - 0.45 * (lane_off / big_r) ** 2
    traj = np.empty((ctx.n_frames + 1, n_lanes, k_cells))
    for step in range(warm + ctx.n_frames):
        slow = 0.2 + 0.8 * np.clip((face[:, None] - x) / (0.4 * w), 0.0, 1.0)
        free = np.minimum(x + v0 * profile[:, None] * slow * dt, face[:, None])
        # x_k <= x_{k-1} - pack_k  ==  reverse cumulative minimum on (free + offset)
        x = np.minimum.accumulate(free + offset, axis=1) - offset
        if step >= warm - 1:
            traj[step - warm + 1] = x
    # how "stuck" each cell is (0 = flowing freely, 1 = at rest in the pile)
    stuck = 1.0 - np.clip(np.diff(traj, axis=0) / (0.35 * v0 * dt), 0.0, 1.0)

    cells = {
        "phase": rng.uniform(0, 2 * np.pi, (n_lanes, k_cells)),
        "spin": rng.uniform(0.6, 1.6, (n_lanes, k_cells)) / r,
        "tilt": rng.uniform(-0.35, 0.35, (n_lanes, k_cells)),
        "dy": rng.uniform(-0.35, 0.35, (n_lanes, k_cells)) * r,
        "squash": rng.uniform(0.35, 0.8, (n_lanes, k_cells)),
        "size": rng.uniform(0.92, 1.08, (n_lanes, k_cells)),
    }
    right = ccx + 0.2 * w
    leak = {
        "off": rng.uniform(-0.6, 0.6, 3) * big_r,
        "phase": rng.uniform(0, 1, 3),
        "speed": 1.35 * v0 * rng.uniform(0.9, 1.1, 3),
        "span": 1.9 * (w - right) + 4 * r,
        "start": right - 2 * r,
    }
    return {
        "bg": img,
        "yc": yc,
        "R": big_r,
        "r": r,
        "lane_off": lane_off,
        "face": face,
        "traj": traj[1:],
        "stuck": stuck,
        "cells": cells,
        "leak": leak,
        "clot": (csl, clot_alpha, clot_col),
    }


def blocked_artery(ctx: FrameContext, index: int) -> np.ndarray:
    """Artery with red cells flowing left to right and piling up in front of a clot."""
    st = ctx.cached("artery", _artery_setup)
    t = ctx.time(index)
    img = st["bg"].copy()
    r, yc, big_r = st["r"], st["yc"], st["R"]
    nucleated = ctx.style == 2

    # downstream trickle (drawn first, the clot hides where they come from)
    lk = st["leak"]
    for off, ph, sp in zip(lk["off"], lk["phase"], lk["speed"], strict=True):
        x = lk["start"] + (ph * lk["span"] + sp * t) % lk["span"]
        y = yc + off + 0.15 * r * math.sin(x / (0.1 * ctx.width))
        _draw_rbc(img, ctx, x, y, r, r * 0.8, 0.2 * math.sin(x * 0.05), nucleated=nucleated)

    xs = st["traj"][index]
    cells = st["cells"]
    n_lanes, k_cells = xs.shape
    swirl_c = float(np.mean(st["face"])) - 0.16 * ctx.width
    for li in range(n_lanes):
        for k in range(k_cells - 1, -1, -1):
            x = xs[li, k]
            if x < -2 * r or x > ctx.width + 2 * r:
                continue
            ph, size = cells["phase"][li, k], cells["size"][li, k]
            piled = float(st["stuck"][index, li, k])
            y = (
                yc
                + st["lane_off"][li]
                + cells["dy"][li, k]
                + (1 - piled) * 0.25 * r * math.sin(x / (0.09 * ctx.width) + ph)
                + piled * 0.08 * r * math.sin(2.3 * t + ph)
            )
            spin = x * cells["spin"][li, k] + ph
            aspect = 0.55 + 0.45 * abs(math.cos(spin))
            aspect = _lerp(aspect, cells["squash"][li, k], piled)
            angle = cells["tilt"][li, k] + 0.1 * math.sin(ph + 0.5 * t)
            if ctx.style == 2:  # turbulent eddy in front of the clot: impossible here
                ux, vy = (x - swirl_c) / (0.2 * ctx.width), (y - yc) / (big_r - r)
                wgt = math.exp(-(ux * ux + vy * vy) * 1.2)
                a = wgt * (2.6 * t + 1.5)
                cu, su = math.cos(a), math.sin(a)
                ux, vy = ux * cu - vy * su, ux * su + vy * cu
                vy = max(-1.0, min(1.0, vy))
                x, y = swirl_c + ux * 0.2 * ctx.width, yc + vy * (big_r - r)
                angle += a
            _draw_rbc(
                img,
                ctx,
                x,
                y,
                r * size,
                r * size * aspect,
                math.pi / 2 + angle,
                nucleated=nucleated,
            )

    csl, calpha, ccol = st["clot"]
    _blend(img, csl, calpha, ccol)
    return _finish(ctx, img, index, bright=True)


# --------------------------------------------------------------------------------------------
# Scene: capillary_flow
# --------------------------------------------------------------------------------------------


def _capillary_setup(ctx: FrameContext) -> dict[str, Any]:
    rng, w, h, m = ctx.rng, ctx.width, ctx.height, ctx.m
    amp, wavelength, phase = 0.09 * h, 1.25 * w, rng.uniform(0, 2 * np.pi)
    yc = 0.5 * h
    k = 2 * np.pi / wavelength
    path = (yc + amp * np.sin(k * ctx.xs + phase)).astype(F32)
    slope = (amp * k * np.cos(k * ctx.xs + phase)).astype(F32)
    rc = 0.05 * m  # inner radius of the capillary

    img = np.empty((h, w, 3), F32)
    img[:] = np.array([0.90, 0.87, 0.80], F32)
    tex = _fbm(rng, h, w, 0.3 * m, 3)
    fib = _fbm(rng, h, w, 0.03 * m, 2, stretch=3.0)
    img *= (F32(0.9) + F32(0.12) * tex + F32(0.03) * fib)[..., None]
    full = (slice(None), slice(None))
    # a few out-of-focus tissue cells
    for _ in range(7):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        if abs(cy - (yc + amp * math.sin(k * cx + phase))) < 0.22 * m:
            continue
        rad = rng.uniform(0.08, 0.14) * m
        win = _window(ctx, cx, cy, rad * 1.3)
        if win is None:
            continue
        sl, xx, yy = win
        q, sd, _, _ = _ellipse(xx, yy, rad, rad * rng.uniform(0.7, 1.0), rng.uniform(0, 3))
        _blend(img, sl, _cov(sd, 5.0) * F32(0.18), (0.80, 0.74, 0.72))
        _blend(img, sl, np.exp(-(((q - 1) / F32(0.12)) ** 2)) * F32(0.12), (0.62, 0.56, 0.55))
        _blend(img, sl, _cov((q - 0.3) * rad, 3.0) * F32(0.15), (0.66, 0.58, 0.70))
    d = _curve_distance(ctx.ys[:, None], path, slope)
    plasma = np.array([0.93, 0.80, 0.76], F32)
    _blend(img, full, _cov(d - F32(rc + 1.5), 1.2), plasma)
    wall = np.exp(-(((d - F32(rc + 1.5)) / F32(1.4 * ctx.scale + 0.4)) ** 2)) * F32(0.55)
    _blend(img, full, wall, (0.58, 0.44, 0.44))
    outer = np.exp(-(((d - F32(rc + 4.0 * ctx.scale)) / F32(2.0 * ctx.scale + 0.4)) ** 2))
    _blend(img, full, outer * F32(0.12), (0.70, 0.60, 0.60))
    # endothelial nuclei: flat ovals on the wall
    for _ in range(3):
        ex = rng.uniform(0.1, 0.9) * w
        xi = min(int(ex), w - 1)
        side = rng.choice([-1.0, 1.0])
        nrm = 1.0 / math.sqrt(1 + float(slope[xi]) ** 2)
        ey = float(path[xi]) + side * (rc + 2.5 * ctx.scale) * nrm
        win = _window(ctx, ex, ey, 0.1 * m)
        if win is not None:
            sl, xx, yy = win
            _, sd, _, _ = _ellipse(xx, yy, 0.08 * m, 0.018 * m, math.atan(float(slope[xi])))
            _blend(img, sl, _cov(sd, 1.2) * F32(0.45), (0.55, 0.45, 0.62))

    n = max(3, int(w / (3.6 * rc)))
    gaps = rng.uniform(2.8, 5.0, n)
    span = w + 6 * rc
    starts = np.cumsum(gaps) / gaps.sum() * span
    return {
        "bg": img,
        "path": path,
        "slope": slope,
        "rc": rc,
        "starts": starts,
        "span": span,
        "phase": rng.uniform(0, 2 * np.pi, n),
        "speed": rng.uniform(0.25, 1.7, n) * rng.choice([1.0, 1.0, 1.0, -0.6], n),
    }


def capillary_flow(ctx: FrameContext, index: int) -> np.ndarray:
    """Red cells squeezing through a capillary in single file."""
    st = ctx.cached("capillary", _capillary_setup)
    t = ctx.time(index)
    img = st["bg"].copy()
    rc, span, w = st["rc"], st["span"], ctx.width
    v0 = 0.33 * w
    # pulsatile flow: position integral of v0 * (1 + 0.35 sin(2 pi f t))
    f = 1.1
    travel = v0 * (t + 0.35 / (2 * np.pi * f) * (1 - math.cos(2 * np.pi * f * t)))
    for i, s0 in enumerate(st["starts"]):
        ph = st["phase"][i]
        if ctx.style == 2:  # rigid, nucleated cells that overtake each other
            x = (s0 + travel * st["speed"][i]) % span - 3 * rc
        else:
            x = (s0 + travel) % span - 3 * rc
        xi = min(max(int(x), 0), w - 1)
        y = float(st["path"][xi])
        angle = math.atan(float(st["slope"][xi]))
        if ctx.style == 2:
            _draw_rbc(img, ctx, x, y, 1.25 * rc, 1.25 * rc, angle, nucleated=True)
        else:
            squeeze = 1.0 + 0.1 * math.sin(4.0 * t + ph)
            _draw_rbc(
                img,
                ctx,
                x,
                y,
                1.3 * rc * squeeze,
                0.86 * rc / squeeze**0.5,
                angle,
                bend=0.12 + 0.06 * math.sin(3.0 * t + ph),
            )
    return _finish(ctx, img, index, bright=True)


# --------------------------------------------------------------------------------------------
# Scene: mitosis
# --------------------------------------------------------------------------------------------

ACTIN: Color = (0.85, 0.22, 0.30)
TUBULIN: Color = (0.25, 0.85, 0.35)
DNA: Color = (0.35, 0.55, 1.00)


def _mitosis_setup(ctx: FrameContext) -> dict[str, Any]:
    rng, w, h, m = ctx.rng, ctx.width, ctx.height, ctx.m
    img = np.zeros((h, w, 3), F32)
    haze = _fbm(rng, h, w, 0.3 * m, 3)
    img += (haze * F32(0.03))[..., None] * np.array([0.4, 0.8, 0.5], F32)
    img += np.array([0.01, 0.012, 0.02], F32)
    # dim interphase neighbours near the edges
    for _ in range(4):
        ang = rng.uniform(0, 2 * np.pi)
        cx = w / 2 + math.cos(ang) * rng.uniform(0.55, 0.7) * w
        cy = h / 2 + math.sin(ang) * rng.uniform(0.55, 0.7) * h
        rad = rng.uniform(0.2, 0.26) * m
        win = _window(ctx, cx, cy, rad + 8)
        if win is None:
            continue
        sl, xx, yy = win
        q, sd, _, _ = _ellipse(xx, yy, rad, rad * rng.uniform(0.75, 0.95), ang)
        _add(img, sl, _cov(sd, 2.0) * F32(0.05), TUBULIN)
        _add(img, sl, np.exp(-((sd / F32(2.5)) ** 2)) * F32(0.22), ACTIN)
        _add(img, sl, _cov((q - 0.42) * rad, 2.0) * F32(0.3), DNA)

    n_d = 3 if ctx.style == 2 else 2
    big_r = 0.25 * m
    axis = rng.uniform(-0.4, 0.4)
    n_chrom = 10
    # interphase positions inside the nucleus, plate positions, destination per chromatid
    a = rng.uniform(0, 2 * np.pi, n_chrom)
    rr = np.sqrt(rng.uniform(0, 1, n_chrom)) * 0.3 * big_r
    start = np.stack([rr * np.cos(a), rr * np.sin(a)], axis=1)
    plate_t = np.linspace(-0.5, 0.5, n_chrom) * big_r + rng.normal(0, 0.03, n_chrom) * big_r
    plate_t = rng.permutation(plate_t)
    if n_d == 2:
        dest = np.tile([0, 1], (n_chrom, 1))
    else:
        dest = np.array([rng.choice(3, 2, replace=False) for _ in range(n_chrom)])
    return {
        "bg": img,
        "n_d": n_d,
        "R": big_r,
        "axis": axis,
        "start": start,
        "plate": plate_t,
        "dest": dest,
        "jit": rng.normal(0, 1, (n_chrom, 2, 2)),
        "ang": rng.uniform(-np.pi, np.pi, n_chrom),
        "len": rng.uniform(0.7, 1.2, n_chrom),
        "tex": _fbm(rng, h, w, 0.04 * m, 2),
    }


@dataclass
class _Division:
    """One frame of the division: how far each stage has gone (0..1, from the clip's
    progress) and where the (future) daughter cells are."""

    st: dict[str, Any]
    t: float
    cx0: float
    cy0: float
    condense: float
    align: float
    spindle: float
    sep: float
    elong: float
    pinch: float
    reform: float
    angles: list[float]
    dirs: list[tuple[float, float]]
    rd_final: float
    rd: float
    dist: float
    centres: list[tuple[float, float]]
    blend_k: float


def _division(ctx: FrameContext, index: int) -> _Division:
    st = ctx.cached("mitosis", _mitosis_setup)
    p = ctx.progress(index)
    n_d, big_r, axis = st["n_d"], st["R"], st["axis"]
    cx0, cy0 = ctx.width / 2, ctx.height / 2
    elong = _smoothstep(0.45, 0.8, p)
    pinch = _smoothstep(0.62, 0.9, p)
    drift = _smoothstep(0.85, 1.0, p)
    angles = [axis + 2 * np.pi * k / n_d for k in range(n_d)]
    dirs = [(math.cos(a), math.sin(a)) for a in angles]
    rd_final = big_r * (1.0 / n_d) ** (1 / 3)
    dist = elong * rd_final * (1.02 if n_d == 2 else 1.18) + drift * 0.12 * rd_final
    return _Division(
        st=st,
        t=ctx.time(index),
        cx0=cx0,
        cy0=cy0,
        condense=_smoothstep(0.05, 0.28, p),
        align=_smoothstep(0.22, 0.42, p),
        spindle=_smoothstep(0.18, 0.34, p) * (1 - _smoothstep(0.7, 0.86, p)),
        sep=_smoothstep(0.46, 0.68, p),
        elong=elong,
        pinch=pinch,
        reform=_smoothstep(0.74, 0.94, p),
        angles=angles,
        dirs=dirs,
        rd_final=rd_final,
        rd=_lerp(big_r, rd_final, elong),
        dist=dist,
        centres=[(cx0 + dx * dist, cy0 + dy * dist) for dx, dy in dirs],
        blend_k=_lerp(0.9 * big_r, 1.5, pinch),
    )


def _draw_cell_body(img: np.ndarray, ctx: FrameContext, dv: _Division) -> None:
    """The cell body: a smooth union of n discs (round -> elongated -> pinched ->
    separate), its cortex, and the contractile ring while it pinches."""
    big_r, rd, cx0, cy0 = dv.st["R"], dv.rd, dv.cx0, dv.cy0
    sl, xx, yy = _window_inside(ctx, cx0, cy0, big_r * 2.3)

    def disc(cx: float, cy: float) -> np.ndarray:
        wob = F32(0.025 * rd) * np.sin(
            F32(3) * np.arctan2(yy - F32(cy - cy0), xx - F32(cx - cx0)) + F32(dv.t)
        )
        return np.sqrt((xx - F32(cx - cx0)) ** 2 + (yy - F32(cy - cy0)) ** 2) - F32(rd) + wob

    sd = _smooth_min((disc(cx, cy) for cx, cy in dv.centres), F32(dv.blend_k))
    sd = sd + F32(dv.blend_k * 0.18 * (1 - dv.pinch))
    inside = _cov(sd, 1.2)
    tex = dv.st["tex"][sl]
    _add(img, sl, inside * (F32(0.10) + F32(0.08) * tex), TUBULIN)
    cortex = np.exp(-(((sd + F32(1.5)) / F32(2.4)) ** 2)) * F32(0.55)
    _add(img, sl, cortex, ACTIN)
    # contractile ring glows brighter in the furrow while pinching
    if dv.st["n_d"] == 2 and dv.elong > 0.2:
        along = xx * F32(dv.dirs[0][0]) + yy * F32(dv.dirs[0][1])
        ring = np.exp(-((along / F32(0.12 * big_r)) ** 2)) * cortex * F32(1.2 * dv.elong)
        _add(img, sl, ring, ACTIN)


Chromatid = tuple[float, float, float, int, int]  # x, y, angle, chromosome, daughter


def _chromatids(dv: _Division) -> list[Chromatid]:
    """Each chromosome's two sister chromatids: from the nucleus to the plate, then
    each to its daughter cell."""
    st, big_r, rd_final = dv.st, dv.st["R"], dv.rd_final
    perp = (-math.sin(st["axis"]), math.cos(st["axis"]))
    chroms = []
    for ci in range(len(st["plate"])):
        sx, sy = st["start"][ci]
        plx, ply = perp[0] * st["plate"][ci], perp[1] * st["plate"][ci]
        bx = dv.cx0 + _lerp(sx, plx, dv.align)
        by = dv.cy0 + _lerp(sy, ply, dv.align)
        for sister in range(2):
            k = int(st["dest"][ci, sister])
            jit = st["jit"][ci, sister]
            tx = dv.centres[k][0] + dv.dirs[k][0] * 0.15 * rd_final + jit[0] * 2.5
            ty = dv.centres[k][1] + dv.dirs[k][1] * 0.15 * rd_final + jit[1] * 2.5
            gap = (sister - 0.5) * 0.07 * big_r * dv.condense
            ox, oy = dv.dirs[k][0] * gap * (1 - dv.sep), dv.dirs[k][1] * gap * (1 - dv.sep)
            x = _lerp(bx, tx, dv.sep) + ox
            y = _lerp(by, ty, dv.sep) + oy
            ang = _lerp(st["ang"][ci], dv.angles[k] + 0.3 * jit[0], dv.align * 0.8)
            chroms.append((x, y, ang, ci, k))
    return chroms


def _draw_spindle(
    img: np.ndarray, ctx: FrameContext, dv: _Division, chroms: list[Chromatid]
) -> None:
    """Spindle fibres from each pole to its chromatids, astral rays and the centrosome."""
    if dv.spindle <= 0.01:
        return
    big_r, spindle = dv.st["R"], dv.spindle
    pole_d = _lerp(0.55 * big_r, 0.75 * big_r, dv.sep) + dv.dist * 0.6
    poles = [(dv.cx0 + dx * pole_d, dv.cy0 + dy * pole_d) for dx, dy in dv.dirs]
    for k, (px_, py_) in enumerate(poles):
        for x, y, _, _, kk in chroms:
            if kk == k:
                _segment(
                    img,
                    ctx,
                    (px_, py_),
                    (x, y),
                    0.9 * ctx.scale + 0.3,
                    TUBULIN,
                    0.35 * spindle,
                    taper=True,
                )
        for j in range(7):
            a = dv.angles[k] + (j - 3) * 0.38
            ln = 0.35 * big_r * (0.8 + 0.3 * math.sin(j * 1.7 + dv.t))
            _segment(
                img,
                ctx,
                (px_, py_),
                (px_ + math.cos(a) * ln, py_ + math.sin(a) * ln),
                0.8 * ctx.scale + 0.3,
                TUBULIN,
                0.3 * spindle,
                taper=True,
            )
        _glow_dot(img, ctx, px_, py_, 1.6 * ctx.scale + 0.5, (0.8, 1.0, 0.8), 0.9 * spindle)


def _draw_nucleus(
    img: np.ndarray, ctx: FrameContext, dv: _Division, cx: float, cy: float, r: float, amount: float
) -> None:
    win = _window(ctx, cx, cy, r + 4)
    if win is not None:
        sl, nx, ny = win
        d = np.sqrt(nx * nx + ny * ny) - F32(r)
        dna = _cov(d, 1.5) * (F32(0.55) + F32(0.35) * dv.st["tex"][sl])
        _add(img, sl, dna * F32(amount), DNA)


def _draw_nuclei(
    img: np.ndarray, ctx: FrameContext, dv: _Division, chroms: list[Chromatid]
) -> None:
    """The interphase nucleus fading as the chromosomes condense; the daughter nuclei
    forming around their chromatids at the end."""
    big_r, n_d = dv.st["R"], dv.st["n_d"]
    rn = 0.42 * big_r
    if dv.condense < 1:
        _draw_nucleus(img, ctx, dv, dv.cx0, dv.cy0, rn, 1 - dv.condense)
    if dv.reform > 0:
        for k in range(n_d):
            members = [(x, y) for x, y, _, _, kk in chroms if kk == k]
            if not members:
                continue
            mx = float(np.mean([pt[0] for pt in members]))
            my = float(np.mean([pt[1] for pt in members]))
            rk = rn * 0.8 * (len(members) * n_d / len(chroms)) ** 0.5 * (dv.rd_final / big_r)
            _draw_nucleus(img, ctx, dv, mx, my, rk, dv.reform)


def _draw_chromosomes(
    img: np.ndarray, ctx: FrameContext, dv: _Division, chroms: list[Chromatid]
) -> None:
    """The condensed chromatids, visible between condensation and the new nuclei."""
    strength = dv.condense * (1 - dv.reform)
    if strength <= 0.01:
        return
    big_r = dv.st["R"]
    for x, y, ang, ci, _ in chroms:
        ln = 0.09 * big_r * dv.st["len"][ci]
        win = _window(ctx, x, y, ln + 3)
        if win is None:
            continue
        csl, cxx, cyy = win
        _, csd, _, _ = _ellipse(cxx, cyy, ln, 0.03 * big_r + 0.6, ang)
        _add(
            img,
            csl,
            (_cov(csd, 1.0) + F32(0.3) * np.exp(-np.maximum(csd, 0) / 2)) * F32(0.45 * strength),
            DNA,
        )


def mitosis(ctx: FrameContext, index: int) -> np.ndarray:
    """A round cell condenses its chromosomes, aligns them, and divides over the clip."""
    dv = _division(ctx, index)
    img = dv.st["bg"].copy()
    _draw_cell_body(img, ctx, dv)
    chroms = _chromatids(dv)
    _draw_spindle(img, ctx, dv, chroms)
    _draw_nuclei(img, ctx, dv, chroms)
    _draw_chromosomes(img, ctx, dv, chroms)
    return _finish(ctx, img, index, bright=False)


# --------------------------------------------------------------------------------------------
# Scene: chemotaxis
# --------------------------------------------------------------------------------------------

GFP: Color = (0.35, 1.0, 0.40)


def _chemotaxis_setup(ctx: FrameContext) -> dict[str, Any]:
    rng, w, h, m = ctx.rng, ctx.width, ctx.height, ctx.m
    img = np.empty((h, w, 3), F32)
    img[:] = np.array([0.36, 0.38, 0.41], F32)
    img *= (F32(0.9) + F32(0.14) * _fbm(rng, h, w, 0.2 * m, 4))[..., None]
    # debris specks (static)
    for _ in range(25):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        win = _window(ctx, x, y, 3 * ctx.scale + 2)
        if win is not None:
            sl, xx, yy = win
            rad = F32(rng.uniform(0.8, 2.0) * ctx.scale)
            d = np.sqrt(xx * xx + yy * yy)
            _blend(img, sl, _cov(d - rad, 0.8) * F32(0.35), (0.22, 0.23, 0.25))
            _blend(img, sl, np.exp(-(((d - rad - 1.2) / 0.8) ** 2)) * F32(0.2), (0.6, 0.62, 0.64))
    target = np.array([0.78 * w, 0.42 * h])
    nb = 16
    pos = target + rng.normal(0, 0.055 * m, (nb, 2)) * np.array([1.0, 1.2])
    # a soft green cloud of attractant around the colony
    sl, xx, yy = _window_inside(ctx, target[0], target[1], 0.3 * m)
    _add(img, sl, np.exp(-(xx * xx + yy * yy) / F32((0.14 * m) ** 2)) * F32(0.05), GFP)
    start = np.array([0.15 * w, 0.72 * h])
    return {
        "bg": img,
        "target": target,
        "bact": pos,
        "start": start,
        "bang": rng.uniform(0, np.pi, nb),
        "blen": rng.uniform(0.8, 1.5, nb),
        "bph": rng.uniform(0, 2 * np.pi, (nb, 2)),
        "harm": [
            (k, rng.uniform(0.03, 0.07), rng.uniform(0, 2 * np.pi), rng.uniform(0.6, 1.6))
            for k in range(2, 7)
        ],
        "granules": _fbm(rng, 96, 96, 3.0, 2),
        "lobes": rng.uniform(-0.5, 0.5, (3, 2)),
    }


def _wbc_centre(st: dict[str, Any], ctx: FrameContext, p: float) -> np.ndarray:
    m = ctx.m
    direction = st["target"] - st["start"]
    direction = direction / np.linalg.norm(direction)
    stop = st["target"] - direction * 0.2 * m
    base = _lerp(st["start"], stop, p * (1.25 - 0.25 * p))
    side = np.array([-direction[1], direction[0]])
    return base + side * 0.035 * m * math.sin(p * 2 * np.pi * 1.2)


def _wrap(a: Any) -> Any:
    """Wrap angles to [-pi, pi)."""
    return (a + np.pi) % (2 * np.pi) - np.pi


def chemotaxis(ctx: FrameContext, index: int) -> np.ndarray:
    """A neutrophil crawls toward a colony of green (GFP) bacteria, changing shape."""
    st = ctx.cached("chemotaxis", _chemotaxis_setup)
    t, p = ctx.time(index), ctx.progress(index)
    img = st["bg"].copy()
    m, s = ctx.m, ctx.scale

    # bacteria: short rods jiggling in place, glowing green
    for i, (bx, by) in enumerate(st["bact"]):
        ph = st["bph"][i]
        x = bx + 0.8 * s * math.sin(3.1 * t + ph[0])
        y = by + 0.8 * s * math.sin(2.7 * t + ph[1])
        ang = st["bang"][i] + 0.15 * math.sin(1.3 * t + ph[0])
        ln = 0.022 * m * st["blen"][i]
        win = _window(ctx, x, y, ln + 4 * s + 2)
        if win is None:
            continue
        sl, xx, yy = win
        _, sd, _, _ = _ellipse(xx, yy, ln, 0.009 * m + 0.4, ang)
        _add(
            img,
            sl,
            _cov(sd, 1.0) * F32(0.75) + np.exp(-np.maximum(sd, 0) / F32(2.5 * s)) * F32(0.25),
            GFP,
        )

    # the white blood cell: granular body, a thin ruffled lamellipodium at the front and a
    # narrow uropod at the back; the outline keeps changing while it crawls
    centre = _wbc_centre(st, ctx, p)
    ahead = _wbc_centre(st, ctx, min(p + 0.02, 1.0)) - _wbc_centre(st, ctx, max(p - 0.02, 0))
    heading = math.atan2(ahead[1], ahead[0]) if np.linalg.norm(ahead) > 1e-6 else 0.0
    rigid = ctx.style == 2
    lead = heading + (math.pi if rigid else 0.0)  # error: lamellipodium at the rear
    tt = 0.0 if rigid else t
    r0 = 0.115 * m
    sl, xx, yy = _window_inside(ctx, centre[0], centre[1], r0 * 2.0)
    theta = np.arctan2(yy, xx)
    rho = np.sqrt(xx * xx + yy * yy)
    dl = _wrap(theta - F32(lead))
    bound = F32(1.0) + F32(0.12) * np.cos(F32(2) * dl)  # elongated along the axis of motion
    for k, a, ph, om in st["harm"]:
        bound = bound + F32(a) * np.sin(F32(k) * theta + F32(ph + om * tt))
    bound = bound + F32(0.22) * np.exp(-(((_wrap(dl - F32(np.pi))) / F32(0.28)) ** 2))  # uropod
    spread = 0.45 if rigid else 0.38 + 0.14 * math.sin(1.9 * t) + 0.06 * math.sin(4.3 * t)
    sway = 0.0 if rigid else 0.35 * math.sin(1.3 * t)
    lam = np.exp(-(((dl - F32(sway)) / F32(0.85)) ** 4))
    ruffle = F32(0.05) * np.sin(F32(11) * dl + F32(5.0 * tt)) + F32(0.03) * np.sin(
        F32(17) * dl - F32(3.0 * tt)
    )
    outer = bound + lam * F32(spread) * (F32(1.0) + ruffle)
    sd_out = rho - F32(r0) * outer
    sd_body = rho - F32(r0) * bound
    halo = np.exp(-(((sd_out - F32(2.0 * s)) / F32(1.8 * s + 0.4)) ** 2)) * F32(0.5)
    _blend(img, sl, halo, (0.92, 0.94, 0.96))
    _blend(img, sl, _cov(sd_out, 1.0) * F32(0.5), (0.80, 0.82, 0.82))
    rim = np.exp(-(((sd_out + F32(0.8)) / F32(1.1)) ** 2)) * F32(0.45)
    _blend(img, sl, rim, (0.45, 0.47, 0.50))
    fold = np.exp(-(((sd_out + F32(3.5 * s)) / F32(1.3)) ** 2)) * lam * F32(0.25)
    _blend(img, sl, fold, (0.55, 0.57, 0.60))
    gx = (np.round(xx).astype(np.intp) + int(t * 3)) % 96
    gy = (np.round(yy).astype(np.intp) + 7) % 96
    gran = st["granules"][gy, gx]
    depth = np.clip(1.0 - rho / F32(r0 * 1.2), 0.0, 1.0)
    col = (
        np.array([0.80, 0.80, 0.78], F32)
        + ((gran - F32(0.5)) * F32(0.24))[..., None]
        - (depth * F32(0.06))[..., None]
    )
    _blend(img, sl, _cov(sd_body + F32(1.0), 2.5) * F32(0.85), col)
    # multi-lobed nucleus behind the centre
    bx, by = -math.cos(heading), -math.sin(heading)
    for j, (lx, ly) in enumerate(st["lobes"]):
        off = (0.15 + 0.25 * j / 2) * r0
        side = (j - 1) * 0.32 * r0
        nx = centre[0] + bx * off * 0.6 - by * side + lx * 0.1 * r0
        ny = centre[1] + by * off * 0.6 + bx * side + ly * 0.1 * r0
        nwin = _window(ctx, nx, ny, 0.3 * r0)
        if nwin is None:
            continue
        nsl, nxx, nyy = nwin
        _, nsd, _, _ = _ellipse(nxx, nyy, 0.24 * r0, 0.16 * r0, heading + 1.2 * (j - 1))
        _blend(img, nsl, _cov(nsd, 1.5) * F32(0.38), (0.50, 0.45, 0.62))
    return _finish(ctx, img, index, bright=True)


# --------------------------------------------------------------------------------------------
# Scene: vesicle_transport
# --------------------------------------------------------------------------------------------

MT_COLOR: Color = (1.0, 0.30, 0.45)
VESICLE: Color = (0.55, 1.0, 0.45)


def _mt_curve(
    ctx: FrameContext, y0: float, amp: float, k: float, ph: float, tilt: float
) -> tuple[np.ndarray, np.ndarray]:
    x = ctx.xs
    f = (y0 + tilt * (x - ctx.width / 2) + amp * np.sin(k * x + ph)).astype(F32)
    df = (tilt + amp * k * np.cos(k * x + ph)).astype(F32)
    return f, df


def _vesicle_setup(ctx: FrameContext) -> dict[str, Any]:
    rng, w, h, m = ctx.rng, ctx.width, ctx.height, ctx.m
    img = np.zeros((h, w, 3), F32)
    haze = _fbm(rng, h, w, 0.25 * m, 3)
    img += (haze * F32(0.05))[..., None] * np.array([0.6, 0.35, 0.5], F32)
    img += np.array([0.01, 0.008, 0.015], F32)
    yy = ctx.ys[:, None]
    # faint background microtubules
    for _ in range(4):
        f, df = _mt_curve(
            ctx,
            rng.uniform(0.1, 0.9) * h,
            rng.uniform(0.02, 0.1) * h,
            rng.uniform(3, 8) / w,
            rng.uniform(0, 6),
            rng.uniform(-0.5, 0.5),
        )
        d = _curve_distance(yy, f, df)
        img += (np.exp(-((d / F32(1.6 * ctx.scale + 0.3)) ** 2)) * F32(0.12))[
            ..., None
        ] * np.asarray(MT_COLOR, F32)
    # out-of-focus vesicles
    for _ in range(10):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        win = _window(ctx, x, y, 0.08 * m)
        if win is not None:
            sl, xx, yy2 = win
            rad = rng.uniform(0.025, 0.05) * m
            _add(img, sl, np.exp(-(xx * xx + yy2 * yy2) / F32(rad * rad)) * F32(0.1), VESICLE)
    # the main microtubule, with tubulin speckles
    amp, k, ph = 0.12 * h, 2 * np.pi / (1.4 * w), rng.uniform(0, 2 * np.pi)
    f, df = _mt_curve(ctx, 0.5 * h, amp, k, ph, rng.uniform(-0.12, 0.12))
    d = _curve_distance(yy, f, df)
    speck = F32(0.7) + F32(0.3) * _smooth_noise(rng, 1, w, 1.0, 3.0 * ctx.scale)[0]
    core = np.exp(-((d / F32(1.1 * ctx.scale + 0.4)) ** 2)) * speck[None, :]
    glow = np.exp(-((d / F32(4.0 * ctx.scale)) ** 2)) * F32(0.18)
    img += (core * F32(0.85) + glow)[..., None] * np.asarray(MT_COLOR, F32)
    # arc-length table to move vesicles at constant speed along the curve
    ds = np.sqrt(1.0 + df.astype(np.float64) ** 2)
    arc = np.concatenate([[0.0], np.cumsum((ds[1:] + ds[:-1]) / 2)])
    nv = 7
    return {
        "bg": img,
        "f": f,
        "df": df,
        "arc": arc,
        "s0": (np.arange(nv) + rng.uniform(-0.3, 0.3, nv)) / nv,
        "dir": rng.choice([1, 1, 1, -1], nv),
        "speed": rng.uniform(0.16, 0.24, nv) * w,
        "size": rng.uniform(0.018, 0.03, nv) * m,
        "bright": rng.uniform(0.7, 1.0, nv),
        "chaos": rng.uniform(0, 2 * np.pi, (nv, 4)),
    }


def vesicle_transport(ctx: FrameContext, index: int) -> np.ndarray:
    """Fluorescent vesicles carried along a microtubule at steady speed."""
    st = ctx.cached("vesicle", _vesicle_setup)
    t = ctx.time(index)
    img = st["bg"].copy()
    arc, w = st["arc"], ctx.width
    total = arc[-1] + 0.2 * w
    for i in range(len(st["s0"])):
        s = st["s0"][i] * total + st["dir"][i] * st["speed"][i] * t
        off = 0.0
        if ctx.style == 2:  # error: erratic back-and-forth jumps, leaving the track
            c = st["chaos"][i]
            s = st["s0"][i] * total + 0.22 * w * (
                math.sin(4.3 * t + c[0])
                + 0.6 * math.sin(9.7 * t + c[1])
                + 0.4 * math.sin(17.0 * t + c[2])
            )
            off = 0.06 * ctx.m * math.sin(6.1 * t + c[3])
        s = s % total - 0.1 * w
        x = float(np.interp(s, arc, ctx.xs))
        xi = min(max(int(x), 0), w - 1)
        y = float(st["f"][xi])
        nrm = 1.0 / math.sqrt(1.0 + float(st["df"][xi]) ** 2)
        x, y = x - off * float(st["df"][xi]) * nrm, y + off * nrm - 0.3 * st["size"][i] * nrm
        rad = st["size"][i]
        win = _window(ctx, x, y, rad * 3)
        if win is None:
            continue
        sl, xx, yy = win
        dd = np.sqrt(xx * xx + yy * yy)
        amount = _cov(dd - F32(rad), 1.0) * F32(0.55) + np.exp(-((dd / F32(rad)) ** 2)) * F32(0.6)
        amount += np.exp(-((dd / F32(2.2 * rad)) ** 2)) * F32(0.15)
        _add(img, sl, amount * F32(st["bright"][i]), VESICLE)
    return _finish(ctx, img, index, bright=False)


# --------------------------------------------------------------------------------------------
# Scene: transcription
# --------------------------------------------------------------------------------------------

STRAND_A: Color = (0.35, 0.65, 1.0)
STRAND_B: Color = (0.45, 0.85, 0.95)
BASES: tuple[Color, ...] = (
    (1.0, 0.80, 0.25),
    (0.95, 0.35, 0.35),
    (0.45, 0.9, 0.45),
    (0.75, 0.5, 1.0),
)
RNA: Color = (1.0, 0.55, 0.20)
POLYMERASE: Color = (0.62, 0.42, 0.90)


def _transcription_setup(ctx: FrameContext) -> dict[str, Any]:
    rng, w, h, m = ctx.rng, ctx.width, ctx.height, ctx.m
    img = np.zeros((h, w, 3), F32)
    grad = (ctx.ys / h)[:, None, None]
    img += np.array([0.02, 0.03, 0.08], F32) * (F32(1.2) - grad)
    img += (_fbm(rng, h, w, 0.3 * m, 3) * F32(0.04))[..., None] * np.array([0.3, 0.4, 0.9], F32)
    spacing = 0.032 * w
    n_rungs = int(w / spacing) + 2
    if ctx.style == 2:
        jumps = np.sort(rng.uniform(0.1, 0.95, 5))
        where = 0.48 + 0.24 * (-1.0) ** np.arange(6) * rng.uniform(0.6, 1.0, 6)
    else:
        jumps, where = np.zeros(0), np.zeros(1)
    return {
        "bg": img,
        "spacing": spacing,
        "pairs": rng.integers(0, 4, n_rungs),
        "ntp": rng.uniform(0, 1, (26, 2)) * np.array([w, h]),
        "ntp_ph": rng.uniform(0, 2 * np.pi, (26, 3)),
        "ntp_col": rng.integers(0, 4, 26),
        "blob": [(k, rng.uniform(0.03, 0.07), rng.uniform(0, 2 * np.pi)) for k in (3, 4, 5)],
        "jumps": jumps,
        "where": where,
        "rna_ph": rng.uniform(0, 2 * np.pi),
    }


def transcription(ctx: FrameContext, index: int) -> np.ndarray:
    """RNA polymerase transcribing along a DNA double helix, RNA trailing behind."""
    st = ctx.cached("transcription", _transcription_setup)
    t, p = ctx.time(index), ctx.progress(index)
    img = st["bg"].copy()
    w, h, s = ctx.width, ctx.height, ctx.scale
    yc, amp = 0.6 * h, 0.085 * h
    k = 2 * np.pi / (0.3 * w)
    phase = 1.1 * t

    if ctx.style == 2:  # error: the polymerase teleports back and forth along the DNA
        seg = int(np.searchsorted(st["jumps"], p))
        xp = st["where"][seg] * w + 0.03 * w * p
    else:
        xp = _lerp(0.24 * w, 0.74 * w, p)
    bubble_w = 0.09 * w

    # strands with an open transcription bubble around the polymerase
    x = ctx.xs
    bubble = np.exp(-(((x - F32(xp)) / F32(bubble_w)) ** 2))
    a_eff = F32(amp) * (F32(1.0) + F32(0.55) * bubble)
    ang = F32(k) * x + F32(phase)
    band = slice(max(int(yc - 2.2 * amp), 0), min(int(yc + 2.2 * amp) + 1, h))
    yy = ctx.ys[band][:, None]
    strands = []
    for off, col in ((0.0, STRAND_A), (0.72 * np.pi, STRAND_B)):
        f = F32(yc) + a_eff * np.sin(ang + F32(off)) - (bubble * F32(0.3 * amp) if off else 0)
        df = np.gradient(f)
        depth = F32(0.55) + F32(0.45) * np.cos(ang + F32(off))
        strands.append((f, depth))
        d = _curve_distance(yy, f, df)
        core = _cov(d - F32(1.6 * s + 0.3), 0.9) * depth[None, :]
        glow = np.exp(-((d / F32(4.0 * s)) ** 2)) * F32(0.15) * depth[None, :]
        img[band] += (core + glow)[..., None] * np.asarray(col, F32)

    # base-pair rungs (broken inside the bubble)
    spacing = st["spacing"]
    idx = np.round(x / F32(spacing)).astype(np.intp)
    dx = x - idx.astype(F32) * F32(spacing)
    (f1, dep1), (f2, dep2) = strands
    xr = np.clip((idx * spacing).astype(np.intp), 0, w - 1)
    top, bot = np.minimum(f1[xr], f2[xr]), np.maximum(f1[xr], f2[xr])
    mid = (top + bot) / 2
    open_ = F32(1.0) - bubble[xr]
    lw = F32(1.0 * s + 0.25)
    across = _cov(np.abs(dx) - lw, 0.8)[None, :]
    inside_y = _cov(np.maximum(top[None, :] - yy, yy - bot[None, :]) + F32(1.0), 0.8)
    gap = np.abs(yy - mid[None, :]) / np.maximum((bot - top)[None, :] / 2, F32(1))
    rung = across * inside_y * (F32(0.35) + F32(0.25) * (dep1 + dep2)[xr][None, :] / 2)
    rung = rung * np.where(gap < open_[None, :] * F32(1.1), F32(1.0), F32(0.0))
    pair = st["pairs"][np.clip(idx, 0, len(st["pairs"]) - 1)]
    cols = np.asarray(BASES, F32)
    upper = cols[pair][None, :, :]
    lower = cols[(3 - pair)][None, :, :]
    rung_col = np.where((yy < mid[None, :])[..., None], upper, lower)
    img[band] += rung[..., None] * rung_col

    # free nucleotides drifting around
    for i, (nx, ny) in enumerate(st["ntp"]):
        ph = st["ntp_ph"][i]
        px = (nx + 6 * s * math.sin(0.9 * t + ph[0]) + 4 * t * s) % w
        py = ny + 6 * s * math.sin(1.1 * t + ph[1])
        _glow_dot(
            img,
            ctx,
            px,
            py,
            1.0 * s + 0.4,
            BASES[st["ntp_col"][i]],
            0.35 + 0.15 * math.sin(2 * t + ph[2]),
            halo=2.0,
        )

    # RNA strand trailing up and behind the polymerase
    ex, ey = xp - 0.03 * w, yc - 0.09 * h
    length = 0.12 * w + (xp - 0.2 * w if ctx.style != 2 else 0.45 * p * w)
    x0 = max(ex - length, 0.0)
    cols_idx = slice(max(int(x0), 0), max(min(int(ex) + 1, w), max(int(x0), 0)))
    rx = x[cols_idx]
    if rx.size > 2:
        age = (F32(ex) - rx) / F32(0.25 * w)
        g = (
            F32(ey)
            - F32(0.22 * h) * (F32(1) - np.exp(-age * F32(1.4)))
            + F32(0.035 * h)
            * np.sin(rx * F32(6.0 / w * 2 * np.pi) + F32(st["rna_ph"]) - F32(1.5 * t))
            * np.minimum(age * 3, 1)
        )
        dg = np.gradient(g)
        top_row = max(int(float(g.min()) - 6), 0)
        bot_row = min(int(float(g.max()) + 7), h)
        ryy = ctx.ys[top_row:bot_row][:, None]
        d = _curve_distance(ryy, g, dg)
        beads = F32(0.8) + F32(0.2) * np.cos(rx * F32(2 * np.pi / (3.0 * s + 1)))
        core = _cov(d - F32(1.4 * s + 0.3), 0.9) * beads[None, :]
        glow = np.exp(-((d / F32(3.5 * s)) ** 2)) * F32(0.2)
        img[top_row:bot_row, cols_idx] += (core + glow)[..., None] * np.asarray(RNA, F32)

    # the polymerase: translucent lumpy blob over the bubble
    pr = 0.12 * h + 0.03 * w
    win = _window(ctx, xp, yc - 0.02 * h, pr * 1.4)
    if win is not None:
        sl, xx, yy2 = win
        theta = np.arctan2(yy2, xx)
        rho = np.sqrt(xx * xx + yy2 * yy2)
        bound = np.ones_like(theta)
        for kk, a, ph in st["blob"]:
            bound = bound + F32(a) * np.sin(F32(kk) * theta + F32(ph + 0.6 * t))
        sd = rho - F32(pr) * bound
        alpha = _cov(sd, 1.2) * F32(0.62)
        shade = F32(1.0) - F32(0.35) * (yy2 + xx * F32(0.5)) / F32(pr)
        col = np.asarray(POLYMERASE, F32) * np.clip(shade, 0.5, 1.4)[..., None]
        _blend(img, sl, alpha, col)
        _add(img, sl, np.exp(-(((sd + F32(1.5)) / F32(2.0)) ** 2)) * F32(0.35), POLYMERASE)
    return _finish(ctx, img, index, bright=False)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

FrameFn = Callable[[FrameContext, int], np.ndarray]

SCENES: dict[str, FrameFn] = {
    "blocked_artery": blocked_artery,
    "capillary_flow": capillary_flow,
    "mitosis": mitosis,
    "chemotaxis": chemotaxis,
    "vesicle_transport": vesicle_transport,
    "transcription": transcription,
}


def iter_frames(
    scene: str,
    *,
    variant: int = 0,
    seconds: float = 3.0,
    fps: int = 24,
    width: int = 320,
    height: int = 240,
    seed: int = 0,
) -> Iterator[np.ndarray]:
    """Yield the RGB uint8 frames ``render_video`` would encode (handy for previews)."""
    if scene not in SCENES:
        raise ValueError(f"unknown scene {scene!r}; choose from {sorted(SCENES)}")
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"width and height must be positive and even, got {width}x{height}")
    n_frames = int(seconds * fps)
    if n_frames < 1 or fps < 1:
        raise ValueError("seconds * fps must give at least one frame")
    if seed + variant < 0:
        raise ValueError("seed + variant must not be negative")
    ctx = FrameContext(
        width=width, height=height, fps=fps, n_frames=n_frames, variant=variant, seed=seed
    )
    fn = SCENES[scene]
    for i in range(n_frames):
        yield fn(ctx, i)


def render_video(
    path: pathlib.Path,
    scene: str,
    *,
    variant: int = 0,
    seconds: float = 3.0,
    fps: int = 24,
    width: int = 320,
    height: int = 240,
    seed: int = 0,
) -> None:
    """Render ``scene`` to an H.264/yuv420p MP4 at ``path`` with the moov atom up front.

    Writes ``int(seconds * fps)`` frames.  The output is deterministic for the same
    arguments; it is written to a temporary file next to ``path`` and moved into place.
    """
    path = pathlib.Path(path)
    frames = iter_frames(
        scene, variant=variant, seconds=seconds, fps=fps, width=width, height=height, seed=seed
    )
    first = next(frames)  # validates the arguments before anything touches the disk
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            # Byte-for-byte reproducible output: x264's macroblock-tree rate control reads
            # uninitialised memory here (same frames gave different bytes from run to run
            # under allocation churn), so it is off; one thread keeps the output independent
            # of the machine's core count.
            stream.options = {
                "crf": "28",
                "preset": "veryfast",
                "threads": "1",
                "x264-params": "mbtree=0",
            }
            time_base = Fraction(1, fps)
            for i, arr in enumerate(itertools.chain([first], frames)):
                frame = av.VideoFrame.from_ndarray(arr, format="rgb24").reformat(format="yuv420p")
                frame.pts, frame.time_base = i, time_base
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

"""Finding burned-in captions on a rendered frame by its pixels, and measuring their contrast.

Nothing here trusts the renderer's settings: the caption is whatever differs between the burned-in
frame and the clean frame of the same moment, and its contrast is measured between the two kinds
of pixel found inside that region (text strokes and the box around them). Pure: frames come in as
arrays (height x width x RGB, uint8).
"""

from __future__ import annotations

import numpy as np

from .social import Check

# Two encodes of the same picture differ by a few levels; a caption differs by far more.
DIFF_LEVEL = 48
# A pixel counts when enough of its 3x3 neighbourhood differs too: encoder noise is isolated.
NEIGHBOURS = 5
# How far around the differing pixels the background is taken from: less than the box's padding.
SURROUND = 2
# A row of a caption differs over at least this share of the frame's width (its shortest box).
ROW_SHARE = 0.03


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance of sRGB pixels (last axis R, G, B, 0-255)."""
    c = rgb.astype(np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return np.asarray(linear @ np.array([0.2126, 0.7152, 0.0722]))


def contrast_ratio(a: float, b: float) -> float:
    """WCAG 2 contrast ratio of two relative luminances, from 1 to 21."""
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def _neighbourhood(mask: np.ndarray, radius: int) -> np.ndarray:
    """How many pixels of each pixel's (2r+1)² neighbourhood are set."""
    padded = np.pad(mask, radius).astype(np.int16)
    h, w = mask.shape
    side = 2 * radius + 1
    out = np.zeros((h, w), np.int16)
    for dy in range(side):
        for dx in range(side):
            out += padded[dy : dy + h, dx : dx + w]
    return out


def caption_mask(burned: np.ndarray, clean: np.ndarray) -> np.ndarray:
    """The pixels where ``burned`` shows something ``clean`` does not."""
    if burned.shape != clean.shape:
        raise ValueError(f"frames differ in size: {burned.shape} and {clean.shape}")
    diff = np.abs(burned.astype(np.int16) - clean.astype(np.int16)).max(axis=2) > DIFF_LEVEL
    return np.asarray(diff & (_neighbourhood(diff, 1) >= NEIGHBOURS))


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """Left, top, right, bottom (exclusive) of the caption in a difference mask; ``None`` when
    there is none.

    The caption is the tallest run of rows that each differ across a good part of the width
    (its boxes stand on one another); specks where two encodes of moving detail disagree are
    left out, however close they come.
    """
    counts = mask.sum(axis=1)
    strong = counts >= max(3, mask.shape[1] * ROW_SHARE)
    best: tuple[int, int] | None = None
    start = None
    for y, on in enumerate([*strong, False]):
        if on and start is None:
            start = y
        elif not on and start is not None:
            if best is None or y - start > best[1] - best[0]:
                best = (start, y)
            start = None
    if best is None:
        return None
    band = mask[best[0] : best[1]]
    cols = np.flatnonzero(band.sum(axis=0) >= 2)
    if not cols.size:
        return None
    return int(cols[0]), best[0], int(cols[-1]) + 1, best[1]


def _otsu(values: np.ndarray) -> float:
    """The threshold that best splits ``values`` (0-1) in two groups (Otsu's method)."""
    hist, edges = np.histogram(values, bins=256, range=(0.0, 1.0))
    weights = hist.astype(np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(weights)
    w1 = w0[-1] - w0
    m0 = np.cumsum(weights * centres)
    mean0 = np.divide(m0, w0, out=np.zeros_like(m0), where=w0 > 0)
    mean1 = np.divide(m0[-1] - m0, w1, out=np.zeros_like(m0), where=w1 > 0)
    between = w0 * w1 * (mean0 - mean1) ** 2
    return float(edges[int(np.argmax(between)) + 1])


def text_contrast(pixels: np.ndarray) -> float:
    """Contrast between the text and its background among a caption's pixels (N x RGB): split
    in two by luminance, each side taken at its group's median, so the blended pixels at a
    stroke's edge count as neither."""
    lum = relative_luminance(pixels).ravel()
    if lum.size < 2 or float(lum.max() - lum.min()) < 1e-6:
        return 1.0
    cut = _otsu(lum)
    low, high = lum[lum < cut], lum[lum >= cut]
    if not low.size or not high.size:
        return 1.0
    return contrast_ratio(float(np.median(low)), float(np.median(high)))


def check_frame(
    burned: np.ndarray,
    clean: np.ndarray,
    safe: tuple[int, int, int, int],
    at_ms: int,
) -> Check | None:
    """The caption on this frame, whether it lies inside ``safe`` and how legible it is."""
    mask = caption_mask(burned, clean)
    box = bounding_box(mask)
    if box is None:
        return None
    left, top, right, bottom = box
    inside = left >= safe[0] and top >= safe[1] and right <= safe[2] and bottom <= safe[3]
    # Where the picture under the box is as dark as the box, only the strokes differ: the few
    # pixels around each stroke are the box, and are measured with it.
    near = _neighbourhood(mask, SURROUND) > 0
    contrast = text_contrast(burned[near])
    return Check(at_ms, box, round(contrast, 2), inside)

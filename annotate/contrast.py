"""WCAG 2 contrast between two sRGB colours, the text colour (black or white) that reads
best on a background, and how far apart two colours look. Plain functions on "#rrggbb"
strings; nothing from Django.

https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio
"""

from functools import lru_cache

BLACK = "#000000"
WHITE = "#ffffff"
# WCAG 2 AA for normal text.
AA = 4.5


def linear(colour: str) -> tuple[float, float, float]:
    """The red, green and blue of `colour` ("#rrggbb") as linear light, from 0 to 1."""
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return r, g, b


def luminance(colour: str) -> float:
    """The relative luminance of `colour` ("#rrggbb"), from 0 (black) to 1 (white)."""
    r, g, b = linear(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """The contrast ratio of two colours, from 1.0 to 21.0, rounded to two decimals."""
    lighter, darker = sorted([luminance(first), luminance(second)], reverse=True)
    return round((lighter + 0.05) / (darker + 0.05), 2)


def text_colour(background: str) -> str:
    """Black or white, whichever has the higher contrast on `background`."""
    return BLACK if contrast(background, BLACK) >= contrast(background, WHITE) else WHITE


def readable(background: str) -> bool:
    """Whether black or white text on `background` reaches WCAG AA (4.5:1)."""
    return contrast(background, text_colour(background)) >= AA


@lru_cache(maxsize=1024)  # a new scheme entry's colour compares every colour of a grid with the scheme's
def lab(colour: str) -> tuple[float, float, float]:
    """`colour` in CIELAB (D65 white): its lightness L* from 0 to 100, then a* and b*."""
    r, g, b = linear(colour)
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def difference(first: str, second: str) -> float:
    """How far apart two colours look: their distance in CIELAB (CIE76 ΔE), rounded to
    one decimal. About 2.3 is just noticeable side by side; #1f77b4 and #0072b2 are 2.9
    apart and pass for one colour on a page."""
    return round(sum((p - q) ** 2 for p, q in zip(lab(first), lab(second), strict=True)) ** 0.5, 1)

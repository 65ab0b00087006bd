"""WCAG 2 contrast between two sRGB colours, and the text colour (black or white) that
reads best on a background. Plain functions on "#rrggbb" strings; nothing from Django.

https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio
"""

BLACK = "#000000"
WHITE = "#ffffff"
# WCAG 2 AA for normal text.
AA = 4.5


def luminance(colour: str) -> float:
    """The relative luminance of `colour` ("#rrggbb"), from 0 (black) to 1 (white)."""
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
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

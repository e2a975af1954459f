"""Draw the integration's brand images: a padlock whose body carries Wi-Fi waves.

The artwork is this project's own: a navy shackle over a teal lock body with the waves cut out of
it (two colours on transparency), and for the logo the words "LOQED Bridge" beside it, set in the
font that ships with Pillow. The ``dark_`` variants swap navy for a light grey, for dark themes.
It follows Home Assistant's brands rules: PNG, RGBA, trimmed, icon 256x256 and 512x512, logo with
its shortest side 256 and 512 pixels.

    python -m tools.make_brand_images                  # writes custom_components/loqed_bridge/brand
    python -m tools.make_brand_images --out /tmp/brand

Everything is drawn large and scaled down, so edges are smooth. Same Pillow, same bytes.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
import sys
from typing import TYPE_CHECKING, Final, TypeAlias

from PIL import Image, ImageChops, ImageDraw, ImageFont

from tools.release_checks import ROOT, integration_dir

if TYPE_CHECKING:
    from collections.abc import Sequence

Colour: TypeAlias = tuple[int, int, int, int]

TEAL: Final[Colour] = (22, 160, 148, 255)
NAVY: Final[Colour] = (24, 50, 84, 255)  # shackle and words on light backgrounds
MIST: Final[Colour] = (214, 226, 238, 255)  # the same on dark backgrounds (dark_ variants)
CANVAS: Final = 1024  # the mark is drawn on a square of this size, then scaled
WORDMARK: Final = "LOQED Bridge"
ICON_SIDE: Final = 256
LOGO_HEIGHT: Final = 256  # the brands rules allow 128 to 256; the largest is preferred


def draw_mark(ink: Colour) -> Image.Image:
    """Draw the mark (padlock with Wi-Fi waves, shackle in ``ink``) on transparency, trimmed."""
    shackle = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    pen = ImageDraw.Draw(shackle)
    stroke = 96
    left, right, top = 292, 732, 72
    pen.arc((left, top, right, top + (right - left)), start=180, end=360, fill=ink, width=stroke)
    middle = top + (right - left) // 2
    pen.rectangle((left, middle, left + stroke, 520), fill=ink)
    pen.rectangle((right - stroke, middle, right, 520), fill=ink)

    body = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    ImageDraw.Draw(body).rounded_rectangle((156, 420, 868, 984), radius=120, fill=TEAL)
    waves = Image.new("L", (CANVAS, CANVAS), 0)
    pen = ImageDraw.Draw(waves)
    centre_x, centre_y = 512, 858
    for radius in (128, 238, 348):
        box = (centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius)
        pen.arc(box, start=225, end=315, fill=255, width=64)
    pen.ellipse((centre_x - 56, centre_y - 56, centre_x + 56, centre_y + 56), fill=255)
    body.putalpha(ImageChops.subtract(body.getchannel("A"), waves))

    mark = Image.alpha_composite(shackle, body)
    return _trim(mark)


def _trim(image: Image.Image) -> Image.Image:
    box = image.getchannel("A").getbbox()
    return image.crop(box) if box else image


def make_icon(mark: Image.Image, side: int) -> Image.Image:
    """Fit the mark into a transparent square of the given side, touching two edges."""
    scale = side / max(mark.size)
    size = (max(1, round(mark.width * scale)), max(1, round(mark.height * scale)))
    scaled = mark.resize(size, Image.Resampling.LANCZOS)
    icon = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    icon.alpha_composite(scaled, ((side - size[0]) // 2, (side - size[1]) // 2))
    return icon


def draw_logo(mark: Image.Image, ink: Colour) -> Image.Image:
    """Draw the mark with the wordmark (in ``ink``) beside it, trimmed, at the canvas scale."""
    height = CANVAS
    mark_scaled = mark.resize(
        (round(mark.width * height / mark.height), height), Image.Resampling.LANCZOS
    )
    font = ImageFont.load_default(size=int(height * 0.52))
    gap = height // 6
    text_box = [math.ceil(v) for v in font.getbbox(WORDMARK, stroke_width=6)]
    text_width = text_box[2] - text_box[0]
    logo = Image.new("RGBA", (mark_scaled.width + gap + text_width + 16, height), (0, 0, 0, 0))
    logo.alpha_composite(mark_scaled, (0, 0))
    text_height = text_box[3] - text_box[1]
    origin = (mark_scaled.width + gap - text_box[0], (height - text_height) // 2 - text_box[1])
    ImageDraw.Draw(logo).text(
        origin, WORDMARK, font=font, fill=ink, stroke_width=6, stroke_fill=ink
    )
    return _trim(logo)


def brand_images(prefix: str, ink: Colour) -> dict[str, Image.Image]:
    """Return the four images of one variant ("" for light backgrounds, "dark_" for dark)."""
    mark = draw_mark(ink)
    logo = draw_logo(mark, ink)
    logo_width = round(logo.width * LOGO_HEIGHT / logo.height)
    return {
        f"{prefix}icon.png": make_icon(mark, ICON_SIDE),
        f"{prefix}icon@2x.png": make_icon(mark, 2 * ICON_SIDE),
        f"{prefix}logo.png": logo.resize((logo_width, LOGO_HEIGHT), Image.Resampling.LANCZOS),
        f"{prefix}logo@2x.png": logo.resize(
            (2 * logo_width, 2 * LOGO_HEIGHT), Image.Resampling.LANCZOS
        ),
    }


def write_brand_images(folder: Path) -> list[Path]:
    """Write the light and dark icons and logos into a folder; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for prefix, ink in (("", NAVY), ("dark_", MIST)):
        for name, image in brand_images(prefix, ink).items():
            path = folder / name
            image.save(path, format="PNG", optimize=True)
            paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Write the brand images (by default into the integration's brand folder)."""
    parser = argparse.ArgumentParser(prog="python -m tools.make_brand_images")
    parser.add_argument("--out", type=Path, default=integration_dir(ROOT) / "brand")
    args = parser.parse_args(argv)
    for path in write_brand_images(args.out):
        with Image.open(path) as image:
            sys.stdout.write(f"wrote {path} ({image.width}x{image.height})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

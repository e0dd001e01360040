"""The icons: PNGs rendered from the SVG and up to date, the app's copy the same SVG, and Qt able to show it."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QIcon, QImage

from gui.core.paths import RESOURCES_DIR

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


def load_render_icons():
    # Loaded by path: the folder's name would clash with the `packaging` distribution on import.
    spec = importlib.util.spec_from_file_location("render_icons", PACKAGING / "render_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_icons = load_render_icons()


def pixels(image: QImage) -> np.ndarray:
    """The image as a height×width×4 array of 8-bit premultiplied ARGB channels (any colour of a clear pixel is 0)."""
    image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4].reshape(
        image.height(), image.width(), 4
    )


@pytest.mark.parametrize("size", render_icons.SIZES)
def test_each_png_is_the_svg_rendered_at_its_size(qapp, size):
    saved = QImage(str(render_icons.png_path(size)))
    assert not saved.isNull(), f"{render_icons.png_path(size)} missing: run packaging/render_icons.py"
    assert (saved.width(), saved.height()) == (size, size)
    fresh = pixels(render_icons.render(render_icons.SVG, size)).astype(int)
    # A Qt upgrade may shift antialiasing by a shade; an edited SVG changes far more.
    off = np.abs(pixels(saved).astype(int) - fresh).max(axis=2) > 8
    assert off.mean() < 0.01, "the PNGs are older than the SVG: run packaging/render_icons.py"


def test_the_icon_is_transparent_outside_its_rounded_square(qapp):
    image = QImage(str(render_icons.png_path(256)))
    assert image.pixelColor(0, 0).alpha() == 0
    assert image.pixelColor(128, 128).alpha() == 255


def test_the_app_loads_the_same_svg(qapp):
    app_icon = RESOURCES_DIR / "icons" / "gguf-arena.svg"
    assert app_icon.read_bytes() == render_icons.SVG.read_bytes(), "run packaging/render_icons.py"
    assert not QIcon(str(app_icon)).pixmap(32, 32).isNull()

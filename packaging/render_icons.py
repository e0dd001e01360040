"""Render packaging/icons/gguf-arena.svg to the PNG sizes desktops use, and copy the SVG where the app loads it."""

import os
import shutil
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent / "icons"
SVG = ICONS / "gguf-arena.svg"
SIZES = (16, 32, 48, 64, 128, 256)
# The running app takes its window icon from resources/ (bundled whole by the spec).
APP_ICON = Path(__file__).resolve().parents[1] / "resources" / "icons" / "gguf-arena.svg"


def png_path(size: int) -> Path:
    """Where the PNG of one size lives."""
    return ICONS / f"gguf-arena-{size}.png"


def render(svg: Path, size: int):
    """The SVG drawn on a transparent size×size QImage (a QGuiApplication must exist)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: Qt cannot read this SVG; fix the file and run {Path(__file__).name} again.")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    """Write every PNG size and the app's copy of the SVG."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    for size in SIZES:
        if not render(SVG, size).save(str(png_path(size))):
            raise SystemExit(f"could not write {png_path(size)}; check the folder is writable.")
        print(png_path(size))
    APP_ICON.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SVG, APP_ICON)
    print(APP_ICON)
    return 0


if __name__ == "__main__":
    sys.exit(main())

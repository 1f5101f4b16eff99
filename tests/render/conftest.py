import pytest


def _scene(objects, factors, channels=1, size=64, background=0.0, shapes=None):
    spec = {
        "name": "test_scene",
        "canvas": {"height": size, "width": size, "channels": channels},
        "background": background,
        "factors": factors,
        "objects": objects,
    }
    if shapes is not None:
        spec["shapes"] = shapes
    return spec


@pytest.fixture
def scene():
    """Builds a minimal spec dict: scene(objects, factors, channels=1, size=64, background=0.0, shapes=None)."""
    return _scene


@pytest.fixture
def tiny_spec():
    """24 grid points, RGB, two objects: small enough to export in tests."""
    return _scene(
        objects=[
            {"shape": {"factor": "shape"}, "x": {"factor": "posX"}, "y": 0.4, "scale": 0.35, "hue": {"factor": "hue"}},
            {"shape": "circle", "x": 0.5, "y": 0.75, "scale": 0.2, "color": "white"},
        ],
        factors=[
            {"name": "shape", "values": ["square", "heart"]},
            {"name": "posX", "linspace": [0.3, 0.7, 3]},
            {"name": "hue", "continuous": [0.0, 0.75], "num": 4},
        ],
        channels=3,
        size=32,
        background=[0.1, 0.1, 0.1],
    )

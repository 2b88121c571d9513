"""compiler/quant/models.py: torchvision-compatible SqueezeNets, bypass variants, weight loading errors."""
import pytest
import torch
import torch.nn.functional as F

from squeezeflow.compiler.errors import UserError
from squeezeflow.compiler.quant.models import ARCHS, build_float_model, fire_layout, infer_arch, load_weights

# torchvision's features indices of the Fire modules, and their (inplanes, squeeze, expand1x1, expand3x3)
TORCHVISION_FIRES = {
    "squeezenet1_0": {3: (96, 16, 64, 64), 4: (128, 16, 64, 64), 5: (128, 32, 128, 128), 7: (256, 32, 128, 128),
                      8: (256, 48, 192, 192), 9: (384, 48, 192, 192), 10: (384, 64, 256, 256),
                      12: (512, 64, 256, 256)},
    "squeezenet1_1": {3: (64, 16, 64, 64), 4: (128, 16, 64, 64), 6: (128, 32, 128, 128), 7: (256, 32, 128, 128),
                      9: (256, 48, 192, 192), 10: (384, 48, 192, 192), 11: (384, 64, 256, 256),
                      12: (512, 64, 256, 256)},
}
CONV1 = {"squeezenet1_0": (96, 3, 7, 7), "squeezenet1_1": (64, 3, 3, 3)}
PARAMS = {"squeezenet1_0": 1_248_424, "squeezenet1_1": 1_235_496}  # torchvision's counts at 1000 classes


def torchvision_state_shapes(base, num_classes=1000):
    shapes = {"features.0.weight": CONV1[base], "features.0.bias": (CONV1[base][0],),
              "classifier.1.weight": (num_classes, 512, 1, 1), "classifier.1.bias": (num_classes,)}
    for i, (cin, s, e1, e3) in TORCHVISION_FIRES[base].items():
        for name, shape in (("squeeze", (s, cin, 1, 1)), ("expand1x1", (e1, s, 1, 1)), ("expand3x3", (e3, s, 3, 3))):
            shapes[f"features.{i}.{name}.weight"], shapes[f"features.{i}.{name}.bias"] = shape, shape[:1]
    return shapes


def torchvision_forward(state, base, x, bypass=()):
    """torchvision's SqueezeNet forward restated functionally from the state_dict (two ReLUs per Fire)."""
    x = F.relu(F.conv2d(x, state["features.0.weight"], state["features.0.bias"], stride=2))
    for i in range(2, 13):
        if i not in TORCHVISION_FIRES[base]:
            x = F.max_pool2d(x, 3, 2, ceil_mode=True)
            continue
        p = f"features.{i}."
        s = F.relu(F.conv2d(x, state[p + "squeeze.weight"], state[p + "squeeze.bias"]))
        y = torch.cat([F.relu(F.conv2d(s, state[p + "expand1x1.weight"], state[p + "expand1x1.bias"])),
                       F.relu(F.conv2d(s, state[p + "expand3x3.weight"], state[p + "expand3x3.bias"], padding=1))], 1)
        x = y + x if i in bypass else y
    x = F.relu(F.conv2d(x, state["classifier.1.weight"], state["classifier.1.bias"]))
    return x.mean((2, 3))


@pytest.mark.parametrize("base", ["squeezenet1_0", "squeezenet1_1"])
def test_state_dict_is_torchvisions(base):
    model = build_float_model(base)
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == torchvision_state_shapes(base)
    assert sum(p.numel() for p in model.parameters()) == PARAMS[base]
    assert infer_arch(model.state_dict()) == (base, 1000)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("size", [(64, 64), (227, 227), (97, 150)])
def test_forward_matches_torchvision_definition(arch, size):
    torch.manual_seed(1)
    base = arch.removesuffix("_bypass")
    model = build_float_model(arch, num_classes=7).eval()
    for p in model.parameters():  # random biases too, so every ReLU and pool boundary matters
        p.data.normal_(0, 0.1)
    x = torch.randn(2, 3, *size)
    with torch.no_grad():
        out = model(x)
    fires = [i for i, _, b in fire_layout(arch) if b]
    ref = torchvision_forward(model.state_dict(), base, x, bypass=fires)
    assert out.shape == (2, 7)
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)


def test_bypass_wraps_the_fires_whose_input_and_output_widths_match():
    for base in ("squeezenet1_0", "squeezenet1_1"):
        assert [i for i, _, b in fire_layout(base + "_bypass") if b] == [
            i for i, (cin, _, e1, e3) in TORCHVISION_FIRES[base].items() if cin == e1 + e3]
        assert len([b for _, _, b in fire_layout(base + "_bypass") if b]) == 4  # fire3, 5, 7, 9
        assert not any(b for _, _, b in fire_layout(base))
    # bypass adds no parameters: torchvision weights load into the bypass variants too
    assert build_float_model("squeezenet1_1_bypass").state_dict().keys() == build_float_model().state_dict().keys()


def test_unknown_arch_lists_the_known_ones():
    known = "squeezenet1_0, squeezenet1_0_bypass, squeezenet1_1, squeezenet1_1_bypass"
    with pytest.raises(UserError, match=known) as info:
        build_float_model("squeezenet2")
    assert "\n" not in str(info.value)


def test_load_weights_errors_name_the_key(tmp_path):
    state = build_float_model("squeezenet1_1", 10).state_dict()
    cases = {
        "missing": ({k: v for k, v in state.items() if k != "features.3.squeeze.bias"}, "features.3.squeeze.bias"),
        "unexpected": ({**state, "features.99.weight": torch.zeros(1)}, "features.99.weight"),
        "shape": ({**state, "classifier.1.weight": torch.zeros(10, 256, 1, 1)}, "classifier.1.weight"),
    }
    for name, (bad, key) in cases.items():
        torch.save(bad, tmp_path / f"{name}.pth")
        with pytest.raises(UserError, match=key.replace(".", r"\.")) as info:
            load_weights(build_float_model("squeezenet1_1", 10), tmp_path / f"{name}.pth")
        assert "\n" not in str(info.value)
    (tmp_path / "garbage.pth").write_bytes(b"not a checkpoint")
    for path, message in ((tmp_path / "garbage.pth", "cannot read weights"), (tmp_path / "nope.pth", "not found")):
        with pytest.raises(UserError, match=message):
            load_weights(build_float_model(), path)
    torch.save(state, tmp_path / "ok.pth")
    with pytest.raises(UserError, match="features.0.weight"):  # a 1.1 file is not a 1.0 model
        load_weights(build_float_model("squeezenet1_0", 10), tmp_path / "ok.pth")


@pytest.mark.shared
def test_trained_weights_load_strictly_and_classify(shared_dir):
    from squeezeflow.compiler.datasets import foolbox_imagenet, read_rgb
    from squeezeflow.host.preprocess import preprocess, torchvision

    path = shared_dir / "models" / "squeezenet1_1_imagenet.pth"
    model = load_weights(build_float_model("squeezenet1_1"), path).eval()
    model.load_state_dict(torch.load(path, weights_only=True), strict=True)
    samples = foolbox_imagenet()
    x = torch.stack([torch.from_numpy(preprocess(read_rgb(p), torchvision())) for p, _ in samples])
    with torch.no_grad():
        top1 = model(x).argmax(1)
    correct = sum(int(t) == label for t, (_, label) in zip(top1, samples))
    assert correct >= 14, f"{correct}/20 foolbox samples right"


def test_foolbox_samples_are_labelled_by_file_name():
    from squeezeflow.compiler.datasets import foolbox_imagenet

    samples = foolbox_imagenet()
    assert len(samples) == 20 and all(p.name.startswith("imagenet_") for p, _ in samples)
    assert dict((p.name, label) for p, label in samples)["imagenet_00_243.jpg"] == 243  # foolbox's own parse


def test_imagenet_folders_and_synsets(tmp_path, monkeypatch):
    from squeezeflow.compiler import datasets

    synsets = tmp_path / "synsets.txt"
    synsets.write_text("n01440764 tench, Tinca tinca\nn01443537 goldfish, Carassius auratus\n")
    monkeypatch.setenv("SQUEEZEFLOW_SYNSETS", str(synsets))
    assert datasets.class_names() == ["tench", "goldfish"]
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("n01443537_b.JPEG", "n01440764_a.jpg", "imagenet_03_990.PNG", "notes.txt"):
        (photos / name).write_bytes(b"")
    assert [(p.name, label) for p, label in datasets.labelled_images(photos)] == [
        ("imagenet_03_990.PNG", 990), ("n01440764_a.jpg", 0), ("n01443537_b.JPEG", 1)]
    assert len(datasets.labelled_images(photos, limit=2)) == 2
    (photos / "n09999999_unknown.jpeg").write_bytes(b"")
    with pytest.raises(UserError, match="n09999999"):
        datasets.labelled_images(photos)
    (photos / "n09999999_unknown.jpeg").rename(photos / "holiday.jpg")
    with pytest.raises(UserError, match="cannot tell the class"):
        datasets.labelled_images(photos)
    with pytest.raises(UserError, match="cannot read image"):
        datasets.read_rgb(photos / "holiday.jpg")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no images"):
        datasets.list_images(tmp_path / "empty")
    monkeypatch.setenv("SQUEEZEFLOW_SYNSETS", str(tmp_path / "missing.txt"))
    with pytest.raises(UserError, match="synsets file not found"):
        datasets.class_names()


@pytest.mark.shared
def test_shared_synsets_are_found_beside_the_repository(shared_dir, monkeypatch):
    from squeezeflow.compiler import datasets

    monkeypatch.delenv("SQUEEZEFLOW_SYNSETS", raising=False)
    assert datasets.synsets_path() == shared_dir / "data" / "imagenet_synsets.txt"
    names = datasets.class_names()
    assert len(names) == 1000 and names[0] == "tench"
    samples = datasets.labelled_images(shared_dir / "data" / "imagenet_sample")
    assert len(samples) == 500 and samples[0][1] == 0

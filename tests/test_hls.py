"""HLS C++ generation and bit-exact C simulation (compiler/backends/emit_hls.py, compiler/sim/csim.py, hw/hls/).

Builds are shared per module: the small SqueezeNet 1.1 (64x64, 10 classes, random weights) is compiled and built
once; tests that break a build work on a copy.
"""
import ctypes
import json
import re
import shutil
import subprocess
from pathlib import Path

import factory
import numpy as np
import pytest

from squeezeflow.compiler import cli, ir
from squeezeflow.compiler.backends.shell import model_hash
from squeezeflow.compiler.boards import board
from squeezeflow.compiler.golden import Golden
from squeezeflow.compiler.pipeline import compile_model, write_build
from squeezeflow.compiler.sim import csim
from squeezeflow.host.codec import output_beats, pack_frames, unpack_logits


def _compile(model, out: Path, **options) -> Path:
    net, arrays = compile_model(model, **options)
    return write_build(out, net, arrays)


def _copy(build: Path, out: Path) -> Path:
    """A copy of a build without its csim binaries."""
    return Path(shutil.copytree(build, out, ignore=shutil.ignore_patterns("csim")))


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    """Real photos without ../shared: three of foolbox's labelled ImageNet samples and skimage's chelsea, coffee."""
    from PIL import Image
    from skimage import data

    folder = tmp_path_factory.mktemp("images")
    for path in factory.calib_images(3):
        shutil.copy(path, folder)
    for name in ("chelsea", "coffee"):
        Image.fromarray(getattr(data, name)()).save(folder / f"{name}.png")
    return folder


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    build = _compile(factory.brevitas_model("squeezenet1_1"), tmp_path_factory.mktemp("small") / "build")
    csim.build(build)
    return build


def test_small_builds_warning_free_and_is_bit_exact(small, images):
    binaries = csim.build(small)
    assert binaries["seconds"] == 0.0, "the second build must come from the cache"
    assert binaries["warnings"] == "", binaries["warnings"]
    result = csim.simulate(small, images)
    assert result["n"] == 5 and result["bit_exact"], result
    assert "top1" not in result  # chelsea.png and coffee.png carry no label


def test_widest_stream_word_is_bit_exact(images, tmp_path):
    """conv10 pinned to SIMD 512: its input word is 512 lanes of 8 bits, hw/spec.py MAX_WORD_BITS, past ap_int's
    default 1024-bit limit (what the planner picks for conv10 on the ZCU104 at 224x224)."""
    from squeezeflow.hw import spec

    build = _compile(factory.brevitas_model("squeezenet1_1"), tmp_path / "wide",
                     config={"layers": {"conv10": {"simd": 512}}})
    assert 512 * 8 == spec.MAX_WORD_BITS
    result = csim.simulate(build, images, limit=1)
    assert result["n"] == 1 and result["bit_exact"], result


def test_cli_json_reports_accuracy_for_labelled_images(small, tmp_path, capsys):
    for path in factory.calib_images(2):
        shutil.copy(path, tmp_path)
    assert cli.main(["csim", str(small), "--images", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 2 and result["bit_exact"] is True
    assert {"top1", "top5", "seconds_per_image"} <= result.keys()


def test_emission_is_deterministic(small, tmp_path):
    again = _compile(factory.brevitas_model("squeezenet1_1"), tmp_path / "again")

    def tree(build):
        hls = build / "hls"
        return {p.relative_to(hls): p.read_bytes() for p in sorted(hls.rglob("*"))
                if p.is_file() and "csim" not in p.relative_to(hls).parts}

    assert tree(small) == tree(again)


def test_corrupted_weight_header_is_caught_and_named(small, images, tmp_path, capsys):
    build = _copy(small, tmp_path / "corrupt")
    header = build / "hls" / "weights" / "fire3_expand1x1.h"

    def invert(m):
        digits = m.group(1)
        return f"0x{int(digits, 16) ^ ((1 << 4 * len(digits)) - 1):0{len(digits)}x}"

    header.write_text(re.sub(r"0x([0-9a-f]+)", invert, header.read_text(), count=64))  # the first 64 packed words
    assert cli.main(["csim", str(build), "--images", str(images), "--limit", "2"]) == 1
    out = capsys.readouterr().out
    assert "DIFFER" in out and "first difference in layer fire3_expand1x1, channel" in out, out


def test_too_small_stream_depth_is_reported_as_deadlock(small, images, tmp_path):
    build = _copy(small, tmp_path / "shallow")
    top = build / "hls" / "top.cpp"
    stream = "fire2_squeeze->fire2_expand1x1"
    declaration = re.compile(r"(sf::stream<ap_uint<\d+>, )(\d+)(> s_fire2_squeeze__fire2_expand1x1\()")
    assert int(declaration.search(top.read_text()).group(2)) > 2, "the fork/join rule must deepen this stream"
    top.write_text(declaration.sub(r"\g<1>2\3", top.read_text()))
    expected = rf"deadlock at the declared stream depths: .*full '{stream}' \(depth 2\)"
    with pytest.raises(csim.CsimFailure, match=expected):
        csim.simulate(build, images, limit=1)


def test_shared_library_c_abi(small):
    net, arrays = ir.load(small)
    lib = ctypes.CDLL(str(csim.shared_library(small)))
    lib.sf_model_hash.restype = ctypes.c_uint32
    assert lib.sf_model_hash() == model_hash(net) == int(net.model_sha256[:8], 16)
    t = net.input_type
    q = np.random.default_rng(1).integers(t.lo, t.hi + 1, size=[3, *net.input_shape])
    beats = pack_frames(q)
    out = np.zeros((3, output_beats(net.num_classes)), np.uint64)
    assert lib.sf_infer(beats.ctypes.data_as(ctypes.c_void_p), 3, out.ctypes.data_as(ctypes.c_void_p)) == 0
    np.testing.assert_array_equal(unpack_logits(out, net.num_classes), Golden(net, arrays).run(q))


def test_vitis_scripts_follow_the_board(small, tmp_path):
    hls = small / "hls"
    assert 'set part "xczu3eg-sbva484-1-i"' in (hls / "run_hls.tcl").read_text()
    assert "export_design -format ip_catalog" in (hls / "run_hls.tcl").read_text()
    cfg = (hls / "hls_config.cfg").read_text()
    assert "part=xczu3eg-sbva484-1-i" in cfg and "clock=250MHz" in cfg and "syn.top=squeezeflow_top" in cfg
    pynq = _compile(factory.brevitas_model("squeezenet1_1"), tmp_path / "pynq", board="pynqz2")
    assert f"part={board('pynqz2').part}" in (pynq / "hls" / "hls_config.cfg").read_text()
    assert ir.load(pynq)[0].board == "pynqz2"


@pytest.mark.parametrize("arch", ["squeezenet1_1_bypass", "qdq"])
def test_variants_are_bit_exact(arch, images, tmp_path):
    """The bypass adds (fork/join through the whole Fire module) and onnxruntime's QDQ export (concat inputs
    requantized, non-zero zero points)."""
    model = factory.ort_qdq_model() if arch == "qdq" else factory.brevitas_model(arch)
    build = _compile(model, tmp_path / arch, preprocess="torchvision")
    net, _ = ir.load(build)
    if arch == "qdq":
        assert any(any(layer.requant) for layer in net.layers if isinstance(layer, ir.Concat))
    else:
        assert any(isinstance(layer, ir.Add) for layer in net.layers)
    result = csim.simulate(build, images, limit=3)
    assert result["bit_exact"], result


# --- kernels on odd shapes: a hand-built network, every layer's stream compared with the golden model -----------

def _qtype(signed=False, zero_point=0, scale=0.05) -> ir.QType:
    lo, hi = (-128, 127) if signed else (0, 255)
    return ir.QType(bits=8, signed=signed, zero_point=zero_point, scale=scale, lo=lo, hi=hi)


def _requant(rng, channels, acc_bits, out: ir.QType, relu=True) -> ir.Requant:
    return ir.Requant(multiplier=rng.integers(1 << 22, 1 << 24, size=channels).tolist(),
                      shift=[acc_bits + 24 - 10] * channels, zero_point=out.zero_point,
                      lo=out.zero_point if relu else out.lo, hi=out.hi)


def _tiny_net(simd_pe: dict) -> tuple[ir.Network, dict]:
    """conv 3x3 stride 2 with asymmetric padding on a signed input with a zero point, ceil-mode max pool with
    clipped windows, a Fire module (concat with a requantized input) with a bypass add, classifier and a requantized
    global average pool: 3x15x13 -> 5 classes."""
    rng = np.random.default_rng(7)
    arrays, layers = {}, []
    t_in, t_act = _qtype(signed=True, zero_point=5), _qtype()

    def conv(name, src, in_shape, in_type, out_ch, kernel, stride, pad, role, out=None, relu=True):
        c, h, w = in_shape
        shape = [out_ch, (h + pad[0] + pad[2] - kernel) // stride + 1, (w + pad[1] + pad[3] - kernel) // stride + 1]
        weight = rng.integers(-31, 32, size=(out_ch, c, kernel, kernel)).astype(np.int8)
        bias = rng.integers(-300, 300, size=out_ch).astype(np.int32)
        span = int(np.abs(weight).reshape(out_ch, -1).sum(1).max()) * max(-in_type.lo, in_type.hi) + 300
        acc_bits = span.bit_length() + 1
        out = out or t_act
        simd, pe = simd_pe.get(name, (1, 1))
        arrays[f"{name}.weight"], arrays[f"{name}.bias"] = weight, bias
        layers.append(ir.Conv(name=name, inputs=[src], out_shape=shape, out_type=out, kernel=[kernel, kernel],
                              stride=[stride, stride], pad=pad, in_channels=c, weight_bits=6, acc_bits=acc_bits,
                              pad_value=in_type.zero_point, requant=_requant(rng, out_ch, acc_bits, out, relu),
                              role=role, simd=simd, pe=pe))
        return shape

    conv("conv1", ir.NETWORK_INPUT, [3, 15, 13], t_in, 10, 3, 2, [1, 0, 1, 1], "conv1")  # 10 x 8 x 6
    layers.append(ir.MaxPool(name="pool1", inputs=["conv1"], out_shape=[10, 4, 3], out_type=t_act, kernel=[3, 3],
                             stride=[2, 2]))
    conv("fire2_squeeze", "pool1", [10, 4, 3], t_act, 6, 1, 1, [0, 0, 0, 0], "squeeze")
    conv("fire2_expand1x1", "fire2_squeeze", [6, 4, 3], t_act, 4, 1, 1, [0, 0, 0, 0], "expand1x1")
    t_e3 = _qtype(zero_point=128, scale=0.07)
    conv("fire2_expand3x3", "fire2_squeeze", [6, 4, 3], t_act, 6, 3, 1, [1, 1, 1, 1], "expand3x3", t_e3, relu=False)
    layers.append(ir.Concat(name="fire2_concat", inputs=["fire2_expand1x1", "fire2_expand3x3"],
                            out_shape=[10, 4, 3], out_type=t_act,
                            requant=[None, _requant(rng, 6, 9, t_act, relu=True)]))
    layers.append(ir.Add(name="fire2_bypass", inputs=["fire2_concat", "pool1"], out_shape=[10, 4, 3], out_type=t_act,
                         multiplier=[6_000_000, 9_000_000], shift=24))
    conv("conv10", "fire2_bypass", [10, 4, 3], t_act, 5, 1, 1, [0, 0, 0, 0], "classifier")
    layers.append(ir.GlobalAvgPool(name="gap", inputs=["conv10"], out_shape=[5, 1, 1], out_type=t_act,
                                   requant=_requant(rng, 1, 12, t_act)))
    net = ir.Network(name="tiny", model_sha256="0123456789abcdef" * 4, input_shape=[3, 15, 13], input_type=t_in,
                     preprocess={}, labels="imagenet1k", layers=layers, output="gap")
    return net, arrays


FOLDED = {"conv1": (3, 5), "fire2_squeeze": (2, 3), "fire2_expand1x1": (3, 2), "fire2_expand3x3": (6, 3),
          "conv10": (5, 5)}


# SIMD spanning kernel positions: 9 of conv1's 3 x 3 x 3 and of fire2_expand3x3's 3 x 3 x 6 (windows of 3 lanes)
SPANNING = {**FOLDED, "conv1": (9, 5), "fire2_expand3x3": (9, 3)}
# SIMD dividing neither: conv1's 27 values in words of 10 (1-lane windows), fire2_expand3x3's 54 in words of 8
# (2-lane windows); each pixel's last word is zero-padded
PADDED = {**FOLDED, "conv1": (10, 5), "fire2_expand3x3": (8, 3)}


@pytest.mark.parametrize("simd_pe, ddr_rows", [(FOLDED, None), ({}, None), (SPANNING, None), (PADDED, None),
                                               ({**FOLDED, "conv10": (5, 1)}, 3), ({}, 0)],
                         ids=["folded", "one-lane", "folded-spanning", "folded-padded", "folded-ddr-rows",
                              "one-lane-ddr"])
def test_kernels_on_odd_shapes_match_golden_layer_by_layer(simd_pe, ddr_rows, tmp_path):
    """`ddr_rows`: the classifier streams its weights (sf::mvau_streamed, channel-major into the global pool), that
    many output rows per pass over them (0: the whole frame; 3 of 4 leaves a short last pass, and PE 1 five neuron
    folds to replay the group for)."""
    net, arrays = _tiny_net(simd_pe)
    if ddr_rows is not None:
        conv10 = net.layer("conv10")
        conv10.weight_storage, conv10.ddr_rows = "ddr", ddr_rows
        assert ddr_rows == 0 or conv10.out_shape[1] % ddr_rows
    write_build(tmp_path / "tiny", net, arrays)
    t = net.input_type
    q = np.random.default_rng(3).integers(t.lo, t.hi + 1, size=[4, *net.input_shape])
    assert csim.first_difference(tmp_path / "tiny", net, arrays, q[:1]) is None
    tb = csim.build(tmp_path / "tiny")["tb"]
    logits = unpack_logits(csim.run_frames(tb, pack_frames(q), output_beats(5)), 5)
    np.testing.assert_array_equal(logits, Golden(net, arrays).run(q))


# Runs the top built from the kernels' __SYNTHESIS__ branches, over hls4ml's C model of the ap types.
SYNTHESIS_HARNESS = r"""
#include <cstdio>
#include <vector>
#include "top.h"
int main(int, char** argv) {
    std::vector<uint64_t> in(1 << 20), out;
    std::FILE* f = std::fopen(argv[1], "rb");
    in.resize(std::fread(in.data(), 8, in.size(), f));
    std::fclose(f);
    for (size_t frame = 0; frame < in.size() / SF_INPUT_BEATS; frame++) {
        hls::stream<sf_axis_t> to_top, from_top;
        for (int i = 0; i < SF_INPUT_BEATS; i++) {
            sf_axis_t beat;
            beat.data = in[frame * SF_INPUT_BEATS + i];
            beat.last = i == SF_INPUT_BEATS - 1;
            to_top.write(beat);
        }
        ap_uint<32> hash;
        squeezeflow_top(to_top, from_top, hash);
        if (hash != SF_MODEL_HASH || from_top.size() != SF_OUTPUT_BEATS) return 1;
        while (!from_top.empty()) out.push_back(from_top.read().data.to_uint64());
    }
    f = std::fopen(argv[2], "wb");
    std::fwrite(out.data(), 8, out.size(), f);
    return std::fclose(f);
}
"""


def test_synthesis_branches_compute_the_same(tmp_path):
    """What Vitis synthesizes: exact ap_int widths, ap_uint weight tables, plain hls::stream, C++14. Emulated by
    defining __SYNTHESIS__ over hls4ml's C model of ap_int (stub headers that include it with the macro off)."""
    net, arrays = _tiny_net(FOLDED)
    hls = write_build(tmp_path / "tiny", net, arrays) / "hls"
    stub = tmp_path / "stub"
    stub.mkdir()
    for header in ("ap_int.h", "hls_stream.h"):
        (stub / header).write_text(f'#pragma once\n#undef __SYNTHESIS__\n#include "{csim.ap_types_dir() / header}"\n'
                                   "#define __SYNTHESIS__ 1\n")
    (stub / "ap_axi_sdata.h").write_text("#pragma once\n#include <ap_int.h>\n"
                                         "template <int D, int U, int TI, int TD> struct ap_axiu {\n"
                                         "    ap_uint<D> data; ap_uint<D / 8> keep, strb; ap_uint<1> last;\n};\n")
    (tmp_path / "harness.cpp").write_text(SYNTHESIS_HARNESS)
    exe = tmp_path / "synthesis_model"
    subprocess.run(["g++", "-std=c++14", "-O1", "-w", "-D__SYNTHESIS__", "-I", str(stub), "-I", str(hls),
                    "-isystem", str(csim.ap_types_dir()),
                    str(tmp_path / "harness.cpp"), str(hls / "top.cpp"), "-o", str(exe)], check=True)
    t = net.input_type
    q = np.random.default_rng(5).integers(t.lo, t.hi + 1, size=[4, *net.input_shape])
    pack_frames(q).tofile(tmp_path / "in.bin")
    subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")], check=True)
    logits = unpack_logits(np.fromfile(tmp_path / "out.bin", "<u8"), 5)
    np.testing.assert_array_equal(logits, Golden(net, arrays).run(q))


@pytest.mark.shared
def test_trained_224_model_is_bit_exact_on_photos(shared_dir, tmp_path):
    model = factory.brevitas_model("squeezenet1_1", size=224, classes=1000,
                                   weights=str(shared_dir / "models" / "squeezenet1_1_imagenet.pth"))
    build = _compile(model, tmp_path / "sq11")
    photos = tmp_path / "photos"
    photos.mkdir()
    for path in sorted((shared_dir / "data" / "imagenet_sample").iterdir())[:2]:
        shutil.copy(path, photos)
    result = csim.simulate(build, photos)
    assert result["n"] == 2 and result["bit_exact"], result


# --- sf::mvau's multiplier mappings (hw/spec.py MAC_IMPLS) --------------------------------------------------------

# (MAC, signed input, weight bits, SIMD, PE, SF, NF): each mapping; dsp_packed on both input signednesses.
MVAU_MAPPINGS = [(0, False, 6, 4, 3, 3, 2), (1, False, 6, 8, 4, 2, 2), (1, True, 6, 3, 2, 3, 3),
                 (2, True, 8, 4, 3, 2, 2)]
MVAU_PIXELS = 6

MVAU_HARNESS = r"""
#include <cstdio>
#include <deque>
#include "sf_mvau.h"
template <class T> struct fifo {
    std::deque<T> q;
    T read() { T v = q.front(); q.pop_front(); return v; }
    void write(const T& v) { q.push_back(v); }
};
inline long long as_ll(long long v) { return v; }
template <int W> long long as_ll(const ap_int<W>& v) { return v.to_int64(); }
template <class L, class WEIGHTS, class BIAS, class MULT, class SHIFT, class OFFSET>
void run(int id, const uint64_t* xs, const WEIGHTS& weights, const BIAS& bias, const MULT& mult, const SHIFT& shift,
         const OFFSET& offset) {
    fifo<typename L::in_word> in;
    fifo<typename L::out_word> out;
    for (int i = 0; i < L::PIXELS * L::SF; i++) in.write(typename L::in_word(xs[i]));
    sf::mvau<L>(in, out, weights, bias, mult, shift, offset);
    while (!out.q.empty()) {
        typename sf::num<typename L::out_t>::type ys[L::PE];
        sf::unpack<typename L::out_t>(out.read(), ys);
        for (int pe = 0; pe < L::PE; pe++) std::printf("%d %lld\n", id, as_ll(ys[pe]));
    }
}
"""


def _mvau_case(rng, mac, signed, wbits, simd, pe, sf, nf):
    """(name, C++ for one sf::mvau configuration whose requantization is the identity, x (1, C, 1, PIXELS), weight
    OIHW, bias)."""
    from squeezeflow.hw import spec

    c, o = simd * sf, pe * nf
    lo = -128 if signed else 0
    x = rng.integers(lo, lo + 256, size=(1, c, 1, MVAU_PIXELS))
    x[..., 0], x[..., 1] = lo + 255, lo  # the extremes, which the packed fields must hold
    weight = rng.integers(-(1 << (wbits - 1)), 1 << (wbits - 1), size=(o, c, 1, 1))
    weight[rng.random(weight.shape) < 0.25] = -(1 << (wbits - 1))  # packs into the operand's extra bit
    weight[1] = -(1 << (wbits - 1))  # with the extreme inputs, a full-range dot product in a packed sum's high field
    bias = rng.integers(-4096, 4096, size=o)
    acc_bits = int(np.abs(weight).sum(axis=(1, 2, 3)).max() * 256 + 4096).bit_length() + 1
    lane = f"ap_{'' if signed else 'u'}int<8>"
    name = f"m{mac}_{'s' if signed else 'u'}{wbits}_{simd}x{pe}"
    config = dict(SIMD=simd, PE=pe, SF=sf, NF=nf, PIXELS=MVAU_PIXELS, BANKS=1, BANK_LANES=simd,
                  BANK_BITS=simd * wbits, ACC_BITS=acc_bits, MULT_BITS=24, SHIFT_BITS=1, SHIFT_BASE=0,
                  PRODUCT_BITS=acc_bits + 25, ZP=0, LO=-(1 << (acc_bits - 1)), HI=(1 << (acc_bits - 1)) - 1, MAC=mac,
                  PACK_SHIFT=spec.pack_shift(8, signed, wbits, simd), REQUANT_UNITS=spec.requant_units(pe, sf),
                  OFFSET_BITS=1)
    words = [sum((int(v) & 255) << (8 * i) for i, v in enumerate(x[0, k * simd:(k + 1) * simd, 0, p]))
             for p in range(MVAU_PIXELS) for k in range(sf)]
    tiles = weight.reshape(nf, pe, sf, simd).transpose(1, 0, 2, 3).reshape(pe, nf * sf, simd)
    rom = [[[hex(sum((int(v) & ((1 << wbits) - 1)) << (wbits * i) for i, v in enumerate(tile)))
             for tile in row]] for row in tiles]

    def table(suffix, values, kind, bits):
        dims = "".join(f"[{n}]" for n in np.shape(values))
        body = json.dumps(values).replace("[", "{").replace("]", "}").replace('"', "")
        return f"static const sf::{kind}<{bits}> {name}_{suffix}{dims} = {body};\n"

    source = (f'struct {name} {{\n    static constexpr const char* NAME = "{name}";\n'
              f"    typedef {lane} in_t;\n    typedef ap_uint<{8 * simd}> in_word;\n"
              f"    typedef ap_int<{acc_bits}> out_t;\n    typedef ap_uint<{pe * acc_bits}> out_word;\n"
              f"    typedef ap_int<{wbits}> w_t;\n    typedef ap_int<{acc_bits}> acc_t;\n" +
              "".join(f"    static const int {k} = {v};\n" for k, v in config.items()) + "};\n" +
              table("weights", rom, "rom_uint", simd * wbits) +
              table("bias", bias.reshape(nf, pe).T.tolist(), "rom_int", acc_bits) +
              table("mult", [[1] * nf] * pe, "rom_uint", 24) + table("shift", [[0] * nf] * pe, "rom_uint", 1) +
              table("offset", [[0] * nf] * pe, "rom_int", 1) +
              f"static const uint64_t {name}_x[] = {{{', '.join(map(hex, words))}}};\n")
    return name, source, x, weight, bias


def test_mvau_multiplier_mappings_are_bit_exact(tmp_path):
    """sf::mvau in every mapping, its outputs the accumulators themselves (identity requantization, so that no
    error hides in the rounding), against golden.conv_acc, in C simulation and in the __SYNTHESIS__ branch, whose
    exact ap_int widths carry the packed arithmetic (emulated as in test_synthesis_branches_compute_the_same)."""
    from squeezeflow.compiler import golden
    from squeezeflow.hw import spec

    rng = np.random.default_rng(17)
    cases = [_mvau_case(rng, *mapping) for mapping in MVAU_MAPPINGS]
    calls = "".join(f"    run<{n}>({i}, {n}_x, {n}_weights, {n}_bias, {n}_mult, {n}_shift, {n}_offset);\n"
                    for i, (n, *_) in enumerate(cases))
    (tmp_path / "mvau.cpp").write_text(MVAU_HARNESS + "".join(c[1] for c in cases) +
                                       f"int main() {{\n{calls}    return 0;\n}}\n")
    stub = tmp_path / "stub"
    stub.mkdir()
    ap_int = csim.ap_types_dir() / "ap_int.h"
    (stub / "ap_int.h").write_text(f'#pragma once\n#undef __SYNTHESIS__\n#include "{ap_int}"\n'
                                   '#define __SYNTHESIS__ 1\n')
    hls = Path(spec.__file__).resolve().parent / "hls"
    for variant, flags in [("csim", []), ("synthesis", ["-D__SYNTHESIS__", "-I", str(stub)])]:
        exe = tmp_path / variant
        subprocess.run(["g++", "-std=c++14", "-O1", "-w", *flags, "-I", str(hls), "-isystem", str(csim.ap_types_dir()),
                        str(tmp_path / "mvau.cpp"), "-o", str(exe)], check=True)
        lines = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split()
        got = np.array(lines, dtype=np.int64).reshape(-1, 2)
        for i, (name, _, x, weight, bias) in enumerate(cases):
            layer = ir.Conv(name=name, inputs=["x"], out_shape=[len(bias), 1, MVAU_PIXELS], out_type=None)  # 1x1
            want = golden.conv_acc(x, weight, bias, layer)[0, :, 0].T.reshape(-1)  # pixels, then channels
            np.testing.assert_array_equal(got[got[:, 0] == i, 1], want, err_msg=f"{variant}: {name}")

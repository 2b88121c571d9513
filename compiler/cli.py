"""`squeezeflow` command line: one verb per capability, each living in its own module.

Verb modules are imported only when their verb runs, so `squeezeflow --help` stays fast and a verb's heavy
dependencies (torch, onnxruntime) are not loaded by the others.
"""
import argparse
import importlib
import sys
import warnings

from .errors import UserError

# verb -> (module implementing `add_arguments(parser)` and `run(args)`, one-line help)
VERBS = {
    "quantize": ("squeezeflow.compiler.quant.quantize", "quantize a SqueezeNet with brevitas and export ONNX"),
    "eval": ("squeezeflow.compiler.quant.evaluate", "top-1/top-5 of a .pth or .onnx model over an image folder"),
    "compile": ("squeezeflow.compiler.pipeline", "compile a quantized ONNX model into BUILD/"),
    "run": ("squeezeflow.compiler.golden_cli", "classify images with the integer golden model of BUILD/"),
    "csim": ("squeezeflow.compiler.sim.csim", "C-simulate the generated HLS C++ of BUILD/ on images"),
    "rtlsim": ("squeezeflow.compiler.sim.rtlsim", "simulate the generated Verilog of BUILD/ cycle by cycle on images"),
    "synth": ("squeezeflow.compiler.sim.synth", "FPGA resources of the generated Verilog of BUILD/ (yosys)"),
    "bitstream": ("squeezeflow.compiler.backends.bitstream",
                  "Vitis HLS + Vivado: BUILD/ to a PYNQ overlay (.bit, .hwh)"),
}


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The full parser for `verb` (only its module is imported); the others are listed for --help."""
    parser = argparse.ArgumentParser(prog="squeezeflow", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True
    for name, (module_name, help_text) in VERBS.items():
        verb_parser = sub.add_parser(name, help=help_text, description=help_text)
        verb_parser.set_defaults(_module=module_name)
        if name == verb:
            _load(module_name).add_arguments(verb_parser)
    return parser


def _load(module_name: str):
    return importlib.import_module(module_name)


def main(argv=None) -> int:
    """Run the verb in `argv` (default: sys.argv[1:]); returns its exit status, 2 after a UserError (printed as one
    line) and 130 when interrupted."""
    # brevitas announces at import that an optional CUDA kernel package is missing: noise, not news
    warnings.filterwarnings("ignore", message="fast_hadamard_transform package not found")
    argv = sys.argv[1:] if argv is None else list(argv)
    verb = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(verb).parse_args(argv)
    try:
        return _load(args._module).run(args) or 0
    except UserError as exc:
        print(f"squeezeflow {args.verb}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"squeezeflow {args.verb}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

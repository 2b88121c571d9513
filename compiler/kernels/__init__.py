"""One class per kernel of hw/hls/ and hw/rtl/ (base.py says what each knows), the resource model of the Verilog
twins (kernel_costs.py). Importing the package imports every module in it, which registers every kernel class
(base.kernel looks them up by name): a new kernel's module needs no line here."""
import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

"""One class per kernel of hw/hls/ and hw/rtl/ (base.py says what each knows), the resource model of the Verilog
twins (kernel_costs.py). Importing the package registers every kernel class (base.kernel looks them up by name)."""
# each module registers its kernel classes
from . import axis, duplicate, gap, join, mvau, pool, regroup, requant, window  # noqa: F401

// sf_axis.h: sf::axis_word<W>, one beat of the accelerator's AXI4-Stream ports (data, TKEEP, TSTRB, TLAST).
#ifndef SF_AXIS_H
#define SF_AXIS_H

#include "sf_common.h"

#if defined(__has_include)
#if __has_include(<ap_axi_sdata.h>)
#define SF_HAVE_AP_AXI_SDATA
#endif
#endif

#if defined(__SYNTHESIS__) || defined(SF_HAVE_AP_AXI_SDATA)
#include <ap_axi_sdata.h>
namespace sf {
template <int W> using axis_word = ap_axiu<W, 0, 0, 0>;
}
#else
namespace sf {
// hls4ml's ap_types lack ap_axi_sdata.h: the fields of ap_axiu<W, 0, 0, 0> (no user, id or dest sideband).
template <int W>
struct axis_word {
    ap_uint<W> data;
    ap_uint<W / 8> keep;
    ap_uint<W / 8> strb;
    ap_uint<1> last;
};
}  // namespace sf
#endif

#endif

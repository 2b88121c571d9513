// squeezeflow.h: the SqueezeFlow streaming kernel library (one kernel per header, each with its stream contract).
#ifndef SQUEEZEFLOW_H
#define SQUEEZEFLOW_H

#include "sf_add.h"
#include "sf_axis_in.h"
#include "sf_axis_out.h"
#include "sf_concat.h"
#include "sf_duplicate.h"
#include "sf_gap.h"
#include "sf_maxpool.h"
#include "sf_pool.h"
#include "sf_mvau.h"
#include "sf_regroup.h"
#include "sf_requant.h"
#include "sf_stream.h"
#include "sf_window.h"

#endif

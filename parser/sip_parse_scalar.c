/* SPDX-License-Identifier: BSD-3-Clause */
/* The parser built for any CPU: SWAR line scan, byte-table character classes. */
#define SIP_VARIANT_SCALAR 1
#define SIP_VARIANT_NAME   scalar
#define SIP_TARGET
#include "sip_parse_core.h"

#ifndef RECONCILE_CCOMPRESSION_SHIM_H
#define RECONCILE_CCOMPRESSION_SHIM_H
#include <snappy-c.h>
#include <zstd.h>
#include <zlib.h>
#endif

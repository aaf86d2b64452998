#ifndef RECONCILE_CMIMALLOC_SHIM_H
#define RECONCILE_CMIMALLOC_SHIM_H
#include <mimalloc.h>
#endif

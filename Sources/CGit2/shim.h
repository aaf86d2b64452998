#ifndef RECONCILE_CGIT2_SHIM_H
#define RECONCILE_CGIT2_SHIM_H
#include <git2.h>

/* git_libgit2_opts is variadic, so Swift cannot call it: wrap the options we use. */
static inline int reconcile_git_disable_owner_validation(void) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
}
#endif

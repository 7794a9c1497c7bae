/*
** agentos C API.
**
** The one stable boundary of the engine: Python (ctypes), Julia (ccall) and C
** programs all come through here. Plain C, no C++ types.
**
** Conventions, for every function:
**   - Objects are opaque handles made by agentos_*_new / *_create and released
**     by the matching *_free, which accepts NULL.
**   - Every function that can fail returns an int status (AGENTOS_OK == 0).
**     On failure, agentos_errmsg() returns a message for the last failed call
**     made on this thread; it stays valid until the next agentos call on the
**     same thread. Failure changes nothing: out-parameters and handles keep
**     their previous contents.
**   - No C++ exception, abort or exit ever crosses this boundary.
**   - Strings are (pointer, length) pairs and need not be NUL-terminated;
**     a NULL pointer with length 0 is the empty string.
**   - Every function that takes a handle returns an int status and answers
**     through out-parameters; a NULL handle is AGENTOS_INVALID. The only
**     exceptions: *_free accepts NULL and does nothing, and the result-buffer
**     getters of agentos_env.h return NULL for a NULL handle.
**   - Init functions (agentos_env_config_init, agentos_recorder_options_init)
**     return an int status too: AGENTOS_INVALID for NULL.
**   - Indices and counts are size_t. Enumerations and 0/1 flags are int32_t.
**   - Every public struct starts with uint32_t struct_size, which the caller
**     sets to sizeof(the struct) before passing it, in or out: the init
**     function does it for structs with defaults; for the others write
**     `agentos_violation v = {.struct_size = sizeof(agentos_violation)};`.
**     A size the library does not know is AGENTOS_INVALID, so a caller built
**     against another layout fails loudly instead of being misread. Fields
**     are only ever appended, and a later library accepts every earlier
**     size. In an array every element carries the same struct_size.
**   - Thread safety is stated per handle type in the part headers.
*/
#ifndef AGENTOS_H_
#define AGENTOS_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define AGENTOS_API __attribute__((visibility("default")))
#else
#define AGENTOS_API
#endif

/* Result codes. Values never change. */
#define AGENTOS_OK 0
#define AGENTOS_ERROR 1        /* generic failure */
#define AGENTOS_INVALID 2      /* bad argument: NULL handle, bad length, unknown enum */
#define AGENTOS_PARSE 3        /* a policy file or document could not be understood */
#define AGENTOS_IO 4           /* a file or database could not be read or written */
#define AGENTOS_STATE 5        /* not valid in the object's current state */
#define AGENTOS_NOTFOUND 6
#define AGENTOS_NOMEM 7
#define AGENTOS_INTERNAL 8     /* a bug; please report it with the message */

/* Version of this header; bindings/CMakeLists.txt refuses to configure
** unless it equals the CMake project version. The library's SONAME is
** libagentos.so.<MAJOR>: the ABI changes only with the major version (while
** MAJOR is 0, minor versions may change it too). */
#define AGENTOS_VERSION_MAJOR 0
#define AGENTOS_VERSION_MINOR 1
#define AGENTOS_VERSION_PATCH 0
#define AGENTOS_VERSION_NUMBER \
  (AGENTOS_VERSION_MAJOR * 10000 + AGENTOS_VERSION_MINOR * 100 + AGENTOS_VERSION_PATCH)

/* Version of the library actually loaded, e.g. "0.1.0", and its
** AGENTOS_VERSION_NUMBER; compare with the macros above to detect a caller
** built against another header. */
AGENTOS_API const char* agentos_version(void);
AGENTOS_API int agentos_version_number(void);

/* Message for the last failed call on this thread ("" if none). */
AGENTOS_API const char* agentos_errmsg(void);
/* Name of a result code ("AGENTOS_OK", ...). */
AGENTOS_API const char* agentos_errstr(int code);

#ifdef __cplusplus
}
#endif

#include "agentos_kernel.h"
#include "agentos_env.h"
#include "agentos_recorder.h"

#endif /* AGENTOS_H_ */

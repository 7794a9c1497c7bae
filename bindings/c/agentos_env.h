/* agentos C API: governed environments. Include agentos.h, not this file.
** (Filled in by the environments work, issue 3.) */
#ifndef AGENTOS_ENV_API_H_
#define AGENTOS_ENV_API_H_
#endif /* AGENTOS_ENV_API_H_ */

/* agentos C API: the flight recorder. Include agentos.h, not this file.
** (Filled in by the recorder work, issue 4.) */
#ifndef AGENTOS_RECORDER_API_H_
#define AGENTOS_RECORDER_API_H_
#endif /* AGENTOS_RECORDER_API_H_ */

/* The "walk" task of walk_task.c. */
#ifndef WALK_TASK_H_
#define WALK_TASK_H_

#include <agentos.h>

/* Registers "walk" with the engine; returns an AGENTOS_* status. */
int walk_register(void);

#endif /* WALK_TASK_H_ */

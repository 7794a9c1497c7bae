/*
** A custom task written only against the public C API (agentos_env.h):
** "walk", a point on a line that an agent moves toward a target.
**
**   observation  float64 [position, target]
**   action       continuous, 1 value: the step to take
**   reward       -|position - target| after the step
**   terminated   when the point is within 0.05 of the target
**   cost         1 for every step that ends outside [-1, 1] (a marked zone)
**   params       {"target": t} (default 0.5), any other key is refused
**
** walk_register() puts it in the engine's registry; from then on
** {"type": "walk", "target": 0.25} is a task spec like any other.
*/
#include "walk_task.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct walk {
  double target;
  double state[2]; /* position, target: what numeric policies see */
} walk;

/* The one parameter, read from the spec's JSON object ("{}" or
** {"target": <number>}). A real task would use a JSON library; this
** reader takes exactly those two forms. */
static int parse_target(const char* params, size_t len, double* target) {
  char buf[128];
  if (len >= sizeof buf) return 0;
  memcpy(buf, params, len);
  buf[len] = '\0';
  if (strcmp(buf, "{}") == 0) return 1;
  const char prefix[] = "{\"target\":";
  if (strncmp(buf, prefix, sizeof prefix - 1) != 0) return 0;
  char* end = NULL;
  *target = strtod(buf + sizeof prefix - 1, &end);
  return end != NULL && strcmp(end, "}") == 0 && isfinite(*target);
}

static int walk_create(void* user, const char* params, size_t len, void** task, const char** message) {
  (void)user;
  double target = 0.5;
  if (!parse_target(params, len, &target)) {
    *message = "walk: the only parameter is \"target\" (a number)";
    return AGENTOS_PARSE;
  }
  walk* w = calloc(1, sizeof *w);
  if (w == NULL) {
    *message = "walk: out of memory";
    return AGENTOS_NOMEM;
  }
  w->target = target;
  *task = w;
  return AGENTOS_OK;
}

static void walk_destroy(void* task) { free(task); }

static void observe(const walk* w, void* obs) { memcpy(obs, w->state, sizeof w->state); }

static int walk_reset(void* task, uint64_t seed, void* obs) {
  walk* w = task;
  /* Start in [-0.5, 0.5], picked by the seed. */
  w->state[0] = (double)(seed % 1001) / 1000.0 - 0.5;
  w->state[1] = w->target;
  observe(w, obs);
  return AGENTOS_OK;
}

static void walk_step(void* task, const double* action, void* obs, agentos_task_step* out) {
  walk* w = task;
  w->state[0] += action[0];
  observe(w, obs);
  const double distance = fabs(w->state[0] - w->target);
  out->reward = -distance;
  out->terminated = distance < 0.05;
  out->cost = fabs(w->state[0]) > 1.0 ? 1.0 : 0.0;
}

static const double* walk_state(const void* task, size_t* count) {
  *count = 2;
  return ((const walk*)task)->state;
}

int walk_register(void) {
  static const double action_low[1] = {-1.0}, action_high[1] = {1.0};
  agentos_task_def def;
  memset(&def, 0, sizeof def);
  def.struct_size = sizeof def;
  def.obs_dim = 2;
  def.obs_dtype = AGENTOS_DTYPE_FLOAT64;
  def.action_space = AGENTOS_ACTION_SPACE_CONTINUOUS;
  def.action_dim = 1;
  def.action_low = action_low;
  def.action_high = action_high;
  def.create = walk_create;
  def.destroy = walk_destroy;
  def.reset = walk_reset;
  def.step = walk_step;
  def.state = walk_state;
  return agentos_task_register("walk", 4, &def);
}

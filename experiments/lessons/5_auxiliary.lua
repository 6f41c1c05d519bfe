-- 5_auxiliary.lua - lesson for survey section 7: auxiliary tasks (7.1,
-- related tasks, as Caruana's steering example). The runs are
-- 50_related_auxiliary.lua's.
return {
  title = "Auxiliary tasks: a related task as a hint",
  section = "7",
  summary = "Steering learned with the road's curvature and offset as auxiliary tasks (50_related_auxiliary)",
  script = "../50_related_auxiliary.lua",
  steps = {
    { say = [[
Section 7 asks where auxiliary tasks come from when only one task matters.
The first answer is a related task: Caruana predicted road features to
help a network learn to steer.

Here "steer" is a binary decision from a noisy picture of the road, and two
factors it depends on (curvature, offset) are auxiliary regression tasks
- trained, but never reported. The control gets two unrelated auxiliary
targets instead. Baselines (steer alone) are trained first.]],
      pause = true, focus = "notes" },
    { say = "The first 300 steps. The auxiliary tasks' curves are dimmer on the loss pane.",
      run_to = 300, speed = 200, focus = "loss" },
    { say = "The cosine between the tasks' gradients on the shared trunk.",
      matrix = "grad cosine", focus = "matrix" },
    { say = "The auxiliary tasks cost nothing at test time: they are simply not asked.",
      ask = "Why can predicting curvature and offset make the steering decision better?",
      answer = [[
The decision is a function of exactly those two factors. Their targets tell
the shared layers what to extract from the noisy road, which the single
steering bit reveals only slowly; unrelated targets spend the shared
capacity on features steering does not use.]] },
  },
}

-- 1_sharing.lua - lesson for survey section 3: hard and soft parameter
-- sharing. `mtlab learn` lists it first; space goes on, backspace back.
-- The runs are 10_soft_sharing.lua's: three tasks on three separate
-- columns ("independent"), then the same columns pulled together by an
-- L2 penalty on their differences, or by a trace-norm penalty on their
-- stacked weights. At the end the script's claim is checked on the runs.
return {
  title = "Hard and soft parameter sharing",
  section = "3",
  summary = "Three tasks in separate columns, then pulled together by an L2 or a trace-norm penalty (10_soft_sharing)",
  script = "../10_soft_sharing.lua",
  steps = {
    { say = [[
Section 3 of the survey names the two ways a deep network shares what it
learns between tasks. Hard sharing: one trunk for every task, a head each.
Soft sharing: every task keeps its own network, and a penalty keeps the
networks' weights close.

Here three related regression tasks, with few examples each, are trained
three ways at once: independent columns (no sharing), columns pulled
together by an L2 penalty, and by a trace-norm penalty. The header counts
the steps; the loss pane shows the shown run's tasks.]],
      pause = true, focus = "notes" },
    { say = [[
The first 60 steps. Watch the loss pane: training loss solid, validation
loss dashed. '[' and ']' step through the three runs (independent, soft L2,
soft trace).]],
      run_to = 60, speed = 100, focus = "loss" },
    { say = [[
The matrix pane shows "soft distance L1": for the run on screen, how far
apart the tasks' first layers are. Soft sharing's L2 penalty shrinks these
distances; in the independent run nothing pulls them together.]],
      experiment = 2, matrix = "soft distance L1", focus = "matrix" },
    { say = "Each column is fitted from the same few examples of its own task.",
      ask = "Which run do you expect to generalise worst, and why?",
      answer = [[
The independent columns: each task sees only its own few examples, so each
column fits its noise. The penalties let the tasks lend each other
evidence: a column may move away from the others only where its own data
insists (the survey's "soft parameter sharing" as a regulariser).]] },
    { say = [[
Now "soft spectrum L1", enlarged (f returns): the share of each singular
value of the tasks' stacked first-layer weights. The trace-norm penalty
drives the weights towards low rank: one dominant share means the three
columns now nearly share one set of features - hard sharing reached
softly.]],
      experiment = 3, matrix = "soft spectrum L1", enlarge = "matrix", run_to = 300 },
  },
}

-- 2_why_mtl_works.lua - lesson for survey section 4: why MTL works, on
-- attention focusing (section 4.2). The runs are
-- 03_attention_focusing.lua's: a task with few, noisy labels learned with a
-- related task that reads the same inputs, and with an unrelated one.
return {
  title = "Why MTL works: attention focusing",
  section = "4",
  summary = "A data-poor task learns which inputs matter from a related task (03_attention_focusing)",
  script = "../03_attention_focusing.lua",
  steps = {
    { say = [[
Section 4 lists mechanisms by which a second task helps: implicit data
augmentation, attention focusing, eavesdropping, representation bias,
regularisation. This lesson shows attention focusing: "if a task is very
noisy or data is limited, ... other tasks provide additional evidence for
the relevance or irrelevance of features."

Task a has 50 inputs of which 5 matter, and labels on one example in 32.
Alone it cannot tell the 5 from the 45. Two runs: a with "rel" (a clean
task that reads the same 5 inputs) and a with "unrel" (as clean, but
reading 5 others). The single-task baselines are trained first.]],
      pause = true, focus = "notes" },
    { say = [[
The first 1500 steps of both runs. On the loss pane, a's validation loss
(dashed) is jumpy: the validation split holds few labels of a.]],
      run_to = 1500, speed = 500, focus = "loss" },
    { say = [[
The gradient cosine between the tasks on the shared trunk: for "a + rel"
the two tasks' gradients point the same way more often than not.]],
      experiment = 1, matrix = "grad cosine", focus = "matrix" },
    { say = "Both helpers are clean and easy; only where they look differs.",
      ask = "Will the unrelated helper hurt a, help it, or do nothing?",
      answer = [[
About nothing, or a little harm: it focuses the shared trunk on the wrong
five inputs, so a gains no evidence (its test MSE ends near a alone's),
while the related helper points the trunk at a's own inputs and cuts a's
error by a third or more.]] },
    { say = "Now 'c' would compare the runs; the lesson runs them to their end and checks the claim.",
      experiment = 2, focus = "loss" },
  },
}

-- 4_cross_stitch.lua - lesson for survey section 6: recent work on MTL
-- for deep learning, on cross-stitch networks (Misra et al. 2016). The
-- run is 11_cross_stitch.lua's.
return {
  title = "Recent deep MTL: cross-stitch networks learn what to share",
  section = "6",
  summary = "One column per task, mixed after each layer by a learned matrix alpha (11_cross_stitch)",
  script = "../11_cross_stitch.lua",
  steps = {
    { say = [[
Section 6 surveys architectures that learn what to share instead of fixing
it. Cross-stitch networks give every task its own column and, after each
layer, mix the columns' outputs with a learned T x T matrix alpha:
x~_i = sum_j alpha_ij x_j.

Three tasks: y1 and y2 read the same inputs through nearly the same
weights; y3 reads other inputs. alpha starts near the identity (0.9 on the
diagonal): every column starts almost on its own.]],
      pause = true, focus = "notes" },
    { say = "The first 200 steps, with the first layer's alpha on the matrix pane.",
      run_to = 200, speed = 100, matrix = "cross-stitch alpha L1", focus = "matrix" },
    { say = "alpha is learned by the same gradient descent as the weights.",
      ask = "Which off-diagonal entries should grow: y1-y2, y1-y3 or y2-y3?",
      answer = [[
y1-y2: mixing in the other column helps only where the other task computed
something useful for this one. y1 and y2 share their inputs and weights,
so their columns learn to read each other; the entries linking y3 stay
near their start. (Signs may be negative: the magnitude is what counts.)]] },
    { say = "The second stitched layer, enlarged; f returns.",
      matrix = "cross-stitch alpha L2", enlarge = "matrix", run_to = 1000, speed = 0 },
  },
}

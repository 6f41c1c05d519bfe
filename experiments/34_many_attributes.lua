-- 34_many_attributes.lua - forty related tasks on one trunk: task
-- relationships at the scale of CelebA's 40 attributes (survey sections
-- 5.1 and 5.2: which tasks help each other).
--
-- The data (mtl.data.attributes, src/data/synth.h): 40 binary attributes,
-- all functions of one 16-dimensional latent z that the 64 inputs show
-- only through a nonlinear mixing, tanh(M z) + noise. The attributes come
-- in 8 hidden groups of 5: within a group their scores point the same way
-- in z (correlated labels); across groups they are nearly independent. One
-- trunk of 64 units is shared; every attribute has its own linear head.
--
-- On the screen: the loss plot and the legends page through the 40 tasks;
-- the "grad cosine" heatmap (40 x 40) shows the group structure as
-- bright blocks once the rows are read in group order (config.json,
-- data.clusters, holds the true groups).
--
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_regs.c asserts it), for each of the 3 seeds: averaged
-- over the run, the cosine between two attributes' gradients on the
-- shared trunk ranks same-group pairs above different-group pairs (area
-- under the ROC curve at least 0.7; 0.5 would be chance), and the mean
-- same-group cosine is positive and at least five times the magnitude of
-- the mean across groups. Why it holds: two attributes of one group are
-- thresholds of nearly the same direction in z, so their losses pull the
-- shared representation the same way; attributes of different groups
-- depend on orthogonal directions, whose gradients average out.
--
-- Run: mtlab run experiments/34_many_attributes.lua
--      mtlab experiments/34_many_attributes.lua     (the workbench)
local mtl = require "mtl"

local tasks = {}
for i = 1, 40 do tasks[i] = mtl.task.binary { name = "a" .. i } end

local runs = {}
for _, seed in ipairs(mtl.seeds(3)) do
  runs[#runs + 1] = mtl.experiment {
    name = string.format("40 attributes s%d", seed),
    description = "Forty binary attributes of one latent in 8 hidden groups; one shared trunk.",
    data = mtl.data.attributes { n = 2000, tasks = 40, groups = 8, seed = seed },
    tasks = tasks,
    topology = mtl.share.hard { trunk = { 64 }, head = {} },
    optim = mtl.optim.adam { lr = 3e-3 },
    train = { batch = 64, epochs = 8, seed = seed, relations_every = 10 },
  }
end
runs.claim = {
  text = "for every seed, the gradient cosine averaged over the run ranks same-group attribute pairs above "
    .. "different-group pairs (area under the ROC curve at least 0.7), and the mean same-group cosine is positive "
    .. "and at least five times the magnitude of the mean across groups",
  check = function(r)
    local ok, notes = true, {}
    for i = 1, #r do
      local C, cl = r[i].matrices["grad cosine"].mean, r[i].config.data.clusters
      local hits, pairs_ = 0, 0
      for a = 1, #cl do
        for b = a + 1, #cl do
          if cl[a] == cl[b] then
            for c = 1, #cl do
              for d = c + 1, #cl do
                if cl[c] ~= cl[d] then
                  local x, y = C[a][b], C[c][d]
                  hits = hits + (x > y and 1 or x == y and 0.5 or 0)
                  pairs_ = pairs_ + 1
                end
              end
            end
          end
        end
      end
      local auc = hits / pairs_
      local w, a = {}, {}
      for s = 1, #cl do
        for t = 1, #cl do
          if s ~= t then
            if cl[s] == cl[t] then w[#w + 1] = C[s][t] else a[#a + 1] = C[s][t] end
          end
        end
      end
      local within, across = mtl.stats.mean(w), mtl.stats.mean(a)
      local updates = r[i].matrices["grad cosine"].updates
      ok = ok and updates >= 10 and auc >= 0.7 and within > 0 and within >= 5 * math.abs(across)
      notes[#notes + 1] = string.format("%s: AUC %.3f, within %.4f, across %.4f (%d updates)", r[i].name, auc,
                                        within, across, updates)
    end
    return ok, table.concat(notes, "; ")
  end,
  seeds = { 1, 4, 7 }, draws = { 0 },
}
return mtl.compare(runs)

-- 14_joint_many_task.lua - the joint many-task model (Hashimoto et al. 2017;
-- survey section 6.5): tasks in a hierarchy, one level per task; each
-- level's layer reads the input (a shortcut), the level below, and the
-- lower task's predicted label distribution through a learned label
-- embedding; successive regularisation keeps the lower levels from
-- drifting while the higher tasks train.
--
-- Three classification tasks built on each other, like tagging ->
-- chunking -> parsing: "pos" is which of three projections of x is
-- largest; "chunk" shifts pos by one when a fourth projection is positive;
-- "dep" shifts chunk by one when a fifth is. pos is labelled everywhere,
-- chunk on a quarter of the examples, dep on an eighth. Four experiments:
--   * "jmt": levels pos -> chunk -> dep with label embeddings;
--   * "jmt without label embeddings": shortcuts and hidden states only;
--   * "hard sharing, low supervision": a 3-layer trunk, heads at layers
--     1, 2, 3;
--   * "dep alone": a 3-layer network for dep only.
--
-- What to watch: the topology pane (levels, shortcuts, label embeddings),
-- and the accuracy of chunk and dep across the runs ('c' compares them).
-- Successive regularisation: succ = 0.01; the trainer takes joint steps,
-- so the anchor is the lower levels' values one step back (see
-- docs/topologies.md); set succ = 0 to switch it off.
--
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_columns.c asserts it): the label embeddings
-- make dep more than 4 points and chunk more than 1.5 points more accurate
-- than the same model without them, and jmt's dep beats dep trained alone
-- by more than 10 points.
--
-- Run: mtlab experiments/14_joint_many_task.lua
--      mtlab run experiments/14_joint_many_task.lua
local mtl = require "mtl"

math.randomseed(mtl.data_seed(3))
local d = 16
local function gauss()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end
local P = {}
for c = 1, 5 do
  P[c] = {}
  for k = 1, d do P[c][k] = gauss() / math.sqrt(d) end
end
local function dot(v, x)
  local s = 0
  for k = 1, d do s = s + v[k] * x[k] end
  return s
end

local data = mtl.data.generate {
  n = 12000, train = 2000, val = 0, test = 10000,
  fn = function(i)
    local x = {}
    for k = 1, d do x[k] = gauss() end
    local best, pos = -math.huge, 0
    for c = 1, 3 do
      local z = dot(P[c], x)
      if z > best then best, pos = z, c - 1 end
    end
    local chunk = (pos + (dot(P[4], x) > 0 and 1 or 0)) % 3
    local dep = (chunk + (dot(P[5], x) > 0 and 1 or 0)) % 3
    return x, { pos = pos, chunk = i % 4 == 0 and chunk or nil, dep = i % 8 == 0 and dep or nil }
  end,
  types = { pos = "class", chunk = "class", dep = "class" },
}

local tasks = {
  mtl.task.classify { name = "pos" },
  mtl.task.classify { name = "chunk" },
  mtl.task.classify { name = "dep" },
}

local jmt = mtl.experiment {
  name = "jmt",
  description = [[
The joint many-task model: pos at level 1, chunk at level 2, dep at level 3;
each level reads the input, the level below and the lower task's predicted
labels (embedded). Compare chunk and dep with the other runs.]],
  data = data,
  tasks = tasks,
  topology = mtl.share.jmt { trunk = { 32 }, label_embed = true, embed = 8, succ = 0.01 },
  optim = mtl.optim.adam { lr = 3e-3 },
  train = { batch = 32, epochs = 30, seed = 1 },
}

return {
  jmt,
  mtl.variant(jmt, {
    name = "jmt without label embeddings",
    topology = mtl.share.jmt { trunk = { 32 }, label_embed = false, succ = 0.01 },
  }),
  mtl.variant(jmt, {
    name = "hard sharing, low supervision",
    tasks = {
      mtl.task.classify { name = "pos", attach = 1 },
      mtl.task.classify { name = "chunk", attach = 2 },
      mtl.task.classify { name = "dep", attach = 3 },
    },
    topology = mtl.share.hard { trunk = { 32, 32, 32 } },
  }),
  mtl.variant(jmt, {
    name = "dep alone",
    tasks = { mtl.task.classify { name = "dep" } },
    topology = mtl.share.hard { trunk = { 32, 32, 32 } },
  }),
  claim = {
    text = "the label embeddings help: dep gains 4 points and chunk 1.5 over the JMT without them; dep gains "
      .. "10 points over dep alone",
    check = function(r)
      local function acc(name, task) return r[name].tasks[task].test_metric end
      local dep, chunk = acc("jmt", "dep"), acc("jmt", "chunk")
      local dep_nl, chunk_nl = acc("jmt without label embeddings", "dep"), acc("jmt without label embeddings", "chunk")
      local dep_alone = acc("dep alone", "dep")
      return dep > dep_nl + 0.04 and chunk > chunk_nl + 0.015 and dep > dep_alone + 0.10,
        string.format("dep %.3f (without labels %.3f, alone %.3f), chunk %.3f (without labels %.3f)", dep, dep_nl,
                      dep_alone, chunk, chunk_nl)
    end,
    seeds = { 1, 2, 3 }, draws = { 0, 1, 2 },
  },
}

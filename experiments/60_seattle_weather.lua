-- 60_seattle_weather.lua - real tabular data from a CSV file: Seattle's
-- daily weather 2012-2015 (1461 days), as the Vega project ships it and
-- Debian packages it (python3-vega-datasets; scripts/setup.sh installs it).
--
-- The file, seattle-weather.csv:
--   date,precipitation,temp_max,temp_min,wind,weather
--   2012/01/01,0.0,12.8,5.0,4.7,drizzle
-- Two tasks share one trunk, from the day's precipitation (mm), minimum
-- temperature (C) and wind (m/s):
--   weather   a class given as words: drizzle, fog, rain, snow, sun
--             (mtl.data.csv maps them to 0..4 in sorted order and records
--             the mapping in config.json's data.labels)
--   temp_max  the day's maximum temperature, a regression target that
--             mtl.data.csv standardises with the training rows' mean and
--             sd (standardize_targets): the network trains on z-scores,
--             and its mse is reported in the original units, C^2.
-- Five runs, each with its own split of the days and its own training
-- seed; headless runs train the single-task baselines too.
--
-- The claim (the `claim` at the end of this script: `mtlab run` prints
-- its verdict, tests/test_e2e_data.c asserts it), on every one of the
-- five runs:
--   * weather: test accuracy above 0.58, where always saying "sun" (the
--     most frequent label, 714 of 1461 days) scores 0.49. Measured on
--     seeds 1-5: 0.64, 0.65, 0.65, 0.70, 0.66 (0.61 to 0.70 on seeds 1-20).
--   * temp_max: test mse below a quarter of its variance (about 55 C^2:
--     sd 7.4), i.e. more than 75% of the variance explained. Measured:
--     8.4 to 9.4 C^2 (7.5 to 9.7 on seeds 1-20).
--   * sharing: |delta_m| below 6% - one trunk for both tasks does as well
--     as a network per task, neither better nor worse (measured: +0.6,
--     +1.8, -2.3, -0.8, +0.8%; -2.3 to +3.2% on seeds 1-20).
-- The same with two BLAS threads, OPENBLAS_CORETYPE=Haswell, Zen or
-- SkylakeX, and the learning rate moved by 1e-6 either way
-- (scripts/check-portable.sh). `make test-claims` runs the seeds and data
-- draws the claim states (a draw is another split of the days).
--
-- Run: mtlab run experiments/60_seattle_weather.lua
--      mtlab experiments/60_seattle_weather.lua   (the workbench)
local mtl = require "mtl"

local runs = {}
for _, seed in ipairs(mtl.seeds(5)) do
  runs[#runs + 1] = mtl.experiment {
    name = "seattle weather s" .. seed,
    description = [[
Seattle's daily weather 2012-2015 read from a CSV file with word labels:
the weather (drizzle, fog, rain, snow, sun) and the maximum temperature,
from the precipitation, the minimum temperature and the wind.

The maximum temperature is standardised for training; its mse is shown
in degrees C squared. Saying "sun" every day scores an accuracy of 0.49.]],
    data = mtl.data.csv {
      path = "/usr/lib/python3/dist-packages/vega_datasets/_data/seattle-weather.csv",
      inputs = { "precipitation", "temp_min", "wind" },
      targets = { "weather", "temp_max" },
      standardize = true,
      standardize_targets = true,
      seed = seed,
    },
    tasks = {
      mtl.task.classify { name = "weather" },
      mtl.task.regress { name = "temp_max" },
    },
    topology = mtl.share.hard { trunk = { 32 }, head = { 16 } },
    optim = mtl.optim.adam { lr = 0.003 },
    train = { batch = 32, epochs = 40, seed = seed, baselines = true },
  }
end

runs.claim = {
  text = "on every run: weather accuracy above 0.58 (\"sun\" every day: 0.49), temp_max mse below a quarter of "
    .. "its variance (in C^2), and |delta_m| below 6%",
  check = function(r)
    local ok, parts = true, {}
    for i = 1, #r do
      local t = r[i].tasks
      local sd = r[i].config.data.standardized_targets.temp_max.sd
      local acc, mse, dm = t.weather.test_metric, t.temp_max.test_metric, r[i].delta_m_percent
      ok = ok and acc > 0.58 and mse < 0.25 * sd * sd and math.abs(dm) < 6
      parts[#parts + 1] = string.format("s%d %.3f, %.2f < %.1f, %+.1f%%", i, acc, mse, 0.25 * sd * sd, dm)
    end
    return ok, "accuracy, mse < a quarter of the variance, delta_m: " .. table.concat(parts, "; ")
  end,
  seeds = { 1, 6, 11, 16 }, draws = { 0, 1, 2 },
}
return runs

/* seeds.c - writes the fuzzers' seed corpora from what the project itself
 * produces, so the seeds follow the formats as they are today:
 *
 *   checkpoint/  checkpoint_save / checkpoint_save_train of the harness's
 *                model (weights only, Adam and SGD state, with metadata)
 *   idx/         IDX files (plain and gzip, images and labels) cut from
 *                Debian's Fashion-MNIST when installed, else synthesised
 *   csv/         the MMoE synthetic data set (data/synth.c) as CSV with the
 *                harness's columns, in the spellings the reader accepts
 *                (quotes, CRLF, a BOM, missing labels)
 *   script/      --set lines flattened from the config.json that rundir
 *                writes for tests/fuzz/script.lua, plus table constructors
 *
 * usage: fuzz_seeds OUTDIR   (built and run by `make fuzz` / `make test`) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cJSON.h>
#include <zlib.h>

#include "core/status.h"
#include "data/synth.h"
#include "engine/checkpoint.h"
#include "fuzz_model.h"
#include "lua/mtlua.h"
#include "run/rundir.h"

static char out_dir[1024];

static void die(const char *what)
{
    fprintf(stderr, "fuzz_seeds: %s: %s\n", what, mt_last_error()[0] ? mt_last_error() : strerror(errno));
    exit(1);
}

static const char *seed_path(const char *corpus, const char *name)
{
    static char p[1200];
    snprintf(p, sizeof p, "%s/%s", out_dir, corpus);
    mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/%s/%s", out_dir, corpus, name);
    return p;
}

static void put(const char *corpus, const char *name, const void *data, size_t n)
{
    FILE *f = fopen(seed_path(corpus, name), "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) die(name);
}

/* ---- checkpoints -------------------------------------------------------- */

static void checkpoints(void)
{
    mt_params p;
    if (fuzz_model(&p)) die("model");
    const char *k[2] = {"mtlab.experiment", "mtlab.step"}, *v[2] = {"fuzz", "3"};
    if (checkpoint_save(seed_path("checkpoint", "weights.safetensors"), &p, NULL, NULL, 0)) die("weights");
    if (checkpoint_save(seed_path("checkpoint", "weights-meta.safetensors"), &p, k, v, 2)) die("weights-meta");
    static const mt_optim_kind kinds[] = {MT_OPTIM_ADAM, MT_OPTIM_SGD};
    for (int i = 0; i < 2; i++) {
        mt_optim o;
        mt_optim_config cfg = optim_defaults(kinds[i]);
        cfg.momentum = kinds[i] == MT_OPTIM_SGD ? 0.9f : 0.0f;
        if (optim_init(&o, &cfg, p.total)) die("optim");
        for (int s = 0; s < 3; s++) {
            for (size_t j = 0; j < p.total; j++) p.grad[j] = 0.1f * (float)((j + (size_t)s) % 5) - 0.2f;
            if (optim_step_params(&o, &p)) die("step");
        }
        char name[64];
        snprintf(name, sizeof name, "train-%s.safetensors", optim_kind_name(kinds[i]));
        if (checkpoint_save_train(seed_path("checkpoint", name), &p, &o, k, v, 2)) die(name);
        optim_free(&o);
    }
    params_free(&p);
}

/* ---- IDX ------------------------------------------------------------------ */

static void put_idx(const char *name, int gz, unsigned magic, const unsigned *dims, int nd,
                    const unsigned char *payload, size_t n)
{
    unsigned char head[16];
    size_t h = 0;
    unsigned words[4] = {magic, 0, 0, 0};
    for (int i = 0; i < nd; i++) words[i + 1] = dims[i];
    for (int i = 0; i <= nd; i++)
        for (int b = 3; b >= 0; b--) head[h++] = (unsigned char)(words[i] >> (8 * b));
    if (!gz) {
        unsigned char *all = malloc(h + n + 1);
        memcpy(all, head, h);
        memcpy(all + h, payload, n);
        put("idx", name, all, h + n);
        free(all);
        return;
    }
    gzFile f = gzopen(seed_path("idx", name), "wb9");
    if (!f || gzwrite(f, head, (unsigned)h) != (int)h || (n && gzwrite(f, payload, (unsigned)n) != (int)n) ||
        gzclose(f) != Z_OK)
        die(name);
}

/* The first `count` items of a Fashion-MNIST file, or NULL. */
static unsigned char *fashion_items(const char *file, size_t skip, size_t bytes)
{
    char p[512];
    snprintf(p, sizeof p, "/usr/share/datasets/fashion-mnist/%s", file);
    gzFile f = gzopen(p, "rb");
    if (!f) return NULL;
    unsigned char *buf = malloc(skip + bytes);
    int got = gzread(f, buf, (unsigned)(skip + bytes));
    gzclose(f);
    if (got != (int)(skip + bytes)) {
        free(buf);
        return NULL;
    }
    memmove(buf, buf + skip, bytes);
    return buf;
}

static void idx_files(void)
{
    enum { N = 6, H = 28, W = 28 };
    unsigned char *img = fashion_items("train-images-idx3-ubyte.gz", 16, (size_t)N * H * W);
    unsigned char *lab = fashion_items("train-labels-idx1-ubyte.gz", 8, N);
    if (!img || !lab) { /* no data set here: a synthetic one of the same shape */
        free(img);
        free(lab);
        img = malloc((size_t)N * H * W);
        lab = malloc(N);
        for (size_t i = 0; i < (size_t)N * H * W; i++) img[i] = (unsigned char)((i * 37) % 256);
        for (int i = 0; i < N; i++) lab[i] = (unsigned char)(i % 10);
    }
    unsigned di[3] = {N, H, W}, dl[1] = {N}, small[3] = {2, 3, 2};
    put_idx("images.idx", 0, 0x803, di, 3, img, (size_t)N * H * W);
    put_idx("images.idx.gz", 1, 0x803, di, 3, img, (size_t)N * H * W);
    put_idx("labels.idx", 0, 0x801, dl, 1, lab, N);
    put_idx("labels.idx.gz", 1, 0x801, dl, 1, lab, N);
    put_idx("tiny.idx", 0, 0x803, small, 3, img, 12);
    put_idx("tiny.idx.gz", 1, 0x803, small, 3, img, 12);
    free(img);
    free(lab);
}

/* ---- CSV ------------------------------------------------------------------ */

static void csv_files(void)
{
    synth_mmoe_opts o;
    synth_mmoe_defaults(&o);
    o.n = 12;
    o.d = 2;
    o.m = 0;
    mt_dataset ds;
    dataset_init(&ds);
    if (synth_mmoe(&ds, &o, NULL)) die("synth");
    char text[8192];
    static const char *const styles[] = {"plain.csv", "crlf-quoted.csv", "bom-missing.csv"};
    for (int s = 0; s < 3; s++) {
        size_t w = 0;
        const char *nl = s == 1 ? "\r\n" : "\n";
        w += (size_t)snprintf(text + w, sizeof text - w, "%sid,a,b,y,z,w,note%s", s == 2 ? "\xEF\xBB\xBF" : "", nl);
        for (int i = 0; i < ds.n; i++) {
            float y1 = ds.targets[0].y[i], y2 = ds.targets[1].y[i];
            int cls = (int)(y1 > 0) + (int)(y2 > 0), bin = y1 > y2;
            const char *note = s == 1 ? "\"a, \"\"quoted\"\" note\"" : "n";
            if (s == 2 && i % 4 == 1)
                w += (size_t)snprintf(text + w, sizeof text - w, "%d,%.9g,%.9g,,%.9g,,%s%s", i, (double)ds.x[2 * i],
                                      (double)ds.x[2 * i + 1], (double)y1, note, nl);
            else
                w += (size_t)snprintf(text + w, sizeof text - w, "%d,%.9g,%s%.9g%s,%d,%.9g,%d,%s%s", i,
                                      (double)ds.x[2 * i], s == 1 ? " \"" : "", (double)ds.x[2 * i + 1],
                                      s == 1 ? "\" " : "", cls, (double)y1, bin, note, nl);
        }
        put("csv", styles[s], text, w);
    }
    dataset_free(&ds);
}

/* ---- --set lines -------------------------------------------------------- */

/* Appends "path=value" lines for every number, string and boolean in o. */
static void flatten(const cJSON *o, const char *prefix, char *out, size_t cap, size_t *w)
{
    int i = 1;
    for (const cJSON *c = o->child; c; c = c->next, i++) {
        char key[256];
        if (cJSON_IsArray(o)) snprintf(key, sizeof key, "%s[%d]", prefix, i);
        else snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] ? "." : "", c->string);
        if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
            if (cJSON_IsArray(c) && c->child && cJSON_IsNumber(c->child)) { /* a list as a constructor */
                *w += (size_t)snprintf(out + *w, cap - *w, "%s={", key);
                for (const cJSON *e = c->child; e && *w < cap; e = e->next)
                    *w += (size_t)snprintf(out + *w, cap - *w, "%g%s", e->valuedouble, e->next ? "," : "");
                *w += (size_t)snprintf(out + *w, cap - *w, "}\n");
            } else {
                flatten(c, key, out, cap, w);
            }
        } else if (cJSON_IsNumber(c)) {
            *w += (size_t)snprintf(out + *w, cap - *w, "%s=%.9g\n", key, c->valuedouble);
        } else if (cJSON_IsString(c)) {
            *w += (size_t)snprintf(out + *w, cap - *w, "%s=%s\n", key, c->valuestring);
        } else if (cJSON_IsBool(c)) {
            *w += (size_t)snprintf(out + *w, cap - *w, "%s=%s\n", key, cJSON_IsTrue(c) ? "true" : "false");
        }
        if (*w >= cap) *w = cap - 1;
    }
}

static void script_seeds(const char *root)
{
    char script[1200], dir[1200];
    snprintf(script, sizeof script, "%s/tests/fuzz/script.lua", root);
    mtlua_session *s;
    if (mtlua_open(script, NULL, 0, &s)) die("script.lua");
    mt_trainer *t;
    if (trainer_new(mtlua_experiment(s, 0), NULL, &t)) die("trainer");
    snprintf(dir, sizeof dir, "%s/.config-run", out_dir);
    mt_rundir *rd;
    if (rundir_open(dir, &rd) || rundir_write_config(rd, mtlua_experiment(s, 0), t)) die("config.json");
    char cfgp[1300];
    snprintf(cfgp, sizeof cfgp, "%s/config.json", dir);
    rundir_close(rd);
    trainer_free(t);
    mtlua_close(s);
    FILE *f = fopen(cfgp, "rb");
    if (!f) die(cfgp);
    static char json[1 << 16];
    size_t n = fread(json, 1, sizeof json - 1, f);
    fclose(f);
    json[n] = '\0';
    cJSON *cfg = cJSON_Parse(json);
    if (!cfg) die("config.json is not JSON");
    /* one seed per section the validator knows */
    static const char *const sections[] = {"train", "optim", "topology", "weighting"};
    for (int i = 0; i < 4; i++) {
        char lines[4096];
        size_t w = 0;
        const cJSON *sec = cJSON_GetObjectItemCaseSensitive(cfg, sections[i]);
        if (sec) flatten(sec, sections[i], lines, sizeof lines, &w);
        char name[64];
        snprintf(name, sizeof name, "config-%s", sections[i]);
        put("script", name, lines, w);
    }
    cJSON_Delete(cfg);
    static const char *const hand[] = {
        "train.epochs=2\ntasks[2].weight=0.5\noptim.lr=3e-4\n",
        "topology.trunk={16,8}\nweighting=pcgrad\n",
        "optim=sgd\noptim.momentum=0.9\n",
        "tasks[1].classes=3\ntrain.seed=7\n",
        "weighting=static\ntasks[2].weight=0.25\ntopology.head={2}\n",
    };
    for (size_t i = 0; i < sizeof hand / sizeof hand[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "hand-%zu", i + 1);
        put("script", name, hand[i], strlen(hand[i]));
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds OUTDIR\n");
        return 2;
    }
    snprintf(out_dir, sizeof out_dir, "%s", argv[1]);
    mkdir(out_dir, 0777);
    checkpoints();
    idx_files();
    csv_files();
    script_seeds(MTLAB_ROOT);
    return 0;
}

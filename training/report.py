"""Training curves (PNG) and result tables (Markdown) for docs/models.md, from the run logs and the
evaluation JSON files.

    python3 -m training.report --out docs
"""
import argparse
import json
import os

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def plot_curves(runs, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    app = read_jsonl(os.path.join(runs, 'appearance', 'log.jsonl'))
    made = []
    if app:
        fig, ax = plt.subplots(1, 3, figsize=(13, 3.4))
        steps = [r['step'] for r in app]
        ax[0].plot(steps, [r['loss_sep'] for r in app], label='separation BCE')
        ax[0].plot(steps, [r['loss_loc'] for r in app], label='localization BCE')
        ax[0].set_title('Appearance stage: training losses')
        ax[0].legend()
        ax[1].plot(steps, [r['val_sdr'] for r in app], color='C2')
        ax[1].set_title('Validation SDR (dB, plain SDR proxy, 2 sources)')
        ax[2].plot(steps, [100 * r['val_pointing'] for r in app], color='C3')
        ax[2].set_title('Validation pointing accuracy (%)')
        for a in ax:
            a.set_xlabel('step (batch 8)')
            a.grid(alpha=0.3)
        fig.tight_layout()
        p = os.path.join(out_dir, 'curve-appearance.png')
        fig.savefig(p, dpi=90)
        made.append(p)
    ame = read_jsonl(os.path.join(runs, 'motion', 'ame.jsonl'))
    ssr = read_jsonl(os.path.join(runs, 'motion', 'ssr.jsonl'))
    if ame or ssr:
        fig, ax = plt.subplots(1, 2, figsize=(10, 3.4))
        if ame:
            ax[0].plot([r['step'] for r in ame], [r['loss'] for r in ame], label='triplet loss')
            ax[0].plot([r['step'] for r in ame], [r['sync_acc'] for r in ame], label='sync accuracy (train)')
            ax[0].set_title('Audio-Motion Embedding')
            ax[0].legend()
        if ssr:
            ax[1].plot([r['step'] for r in ssr], [r['loss'] for r in ssr], label='two-stage BCE')
            ax[1].plot([r['step'] for r in ssr], [r['appearance_bce'] for r in ssr], label='appearance-only BCE')
            ax[1].set_title('Motion stage refinement (same batches)')
            ax[1].legend()
        for a in ax:
            a.set_xlabel('step')
            a.grid(alpha=0.3)
        fig.tight_layout()
        p = os.path.join(out_dir, 'curve-motion.png')
        fig.savefig(p, dpi=90)
        made.append(p)
    made += plot_comparisons(runs, out_dir)
    return made


def plot_comparisons(runs, out_dir):
    """The AVPC-vs-U-Net runs and the refinement ablations, on the same axes as their baselines."""
    made = []
    nets = {n: read_jsonl(os.path.join(runs, f'avpc-compare-{n}', 'log.jsonl')) for n in ('unet', 'avpc')}
    if any(nets.values()):
        fig, ax = plt.subplots(1, 2, figsize=(10, 3.4))
        for n, recs in nets.items():
            ax[0].plot([r['step'] for r in recs], [r['loss_sep'] for r in recs], label=n)
            ax[1].plot([r['minutes'] for r in recs], [r['loss_sep'] for r in recs], label=n)
        ax[0].set_xlabel('step (batch 8)')
        ax[1].set_xlabel('minutes (1 CPU thread each, side by side)')
        for a in ax:
            a.set_title('Separation BCE from scratch')
            a.legend()
            a.grid(alpha=0.3)
        fig.tight_layout()
        p = os.path.join(out_dir, 'curve-avpc.png')
        fig.savefig(p, dpi=90)
        made.append(p)
    abl = {name: read_jsonl(os.path.join(runs, f'ablation-{name}', 'ssr.jsonl')) for name in ('motion-only', 'one-stage')}
    cam = read_jsonl(os.path.join(runs, 'motion', 'cam.jsonl'))
    if any(abl.values()) or cam:
        fig, ax = plt.subplots(1, 2, figsize=(10, 3.4))
        for name, recs in abl.items():
            ax[0].plot([r['step'] for r in recs], [r['loss'] for r in recs], label=name)
        if any(abl.values()):
            recs = next(r for r in abl.values() if r)
            ax[0].plot([r['step'] for r in recs], [r['appearance_bce'] for r in recs], label='appearance-only', ls='--')
        ax[0].set_title('Single-network ablations: mask BCE')
        ax[0].set_xlabel('step (batch 4)')
        ax[0].legend()
        if cam:
            ax[1].plot([r['step'] for r in cam], [r['loss'] for r in cam], label='triplet loss')
            ax[1].plot([r['step'] for r in cam], [r['sync_acc'] for r in cam], label='sync accuracy (train)')
            ax[1].legend()
        ax[1].set_title('Motion map phase (experiment, not shipped)')
        ax[1].set_xlabel('step (batch 4)')
        for a in ax:
            a.grid(alpha=0.3)
        fig.tight_layout()
        p = os.path.join(out_dir, 'curve-ablations.png')
        fig.savefig(p, dpi=90)
        made.append(p)
    return made


def num(v, fmt='{:.3f}'):
    return '-' if v is None else fmt.format(v)


def table_appearance(res):
    lines = ['| clips | scene | sources | copy-paste SDR | model SDR (soft) | model SDR (binary) | SIR | SAR | ideal binary mask SDR | pointing | cIoU | AUC |',
             '|---|---|---|---|---|---|---|---|---|---|---|---|']
    for key, r in res.items():
        if key.startswith('_'):
            continue
        var, kind = key.split('/')
        loc = r['localization']
        f = lambda v: '-' if v is None else f'{100 * v:.1f} %' if isinstance(v, float) and v <= 1 else f'{v:.2f}'
        lines.append(f"| {var} | {kind} | {r['model_soft']['n_sources']} | {r['copy_paste']['sdr_mean']:.2f} | "
                     f"**{r['model_soft']['sdr_mean']:.2f}** (median {r['model_soft']['sdr_median']:.2f}) | "
                     f"{r['model_binary']['sdr_mean']:.2f} | {r['model_soft']['sir_mean']:.2f} | "
                     f"{r['model_soft']['sar_mean']:.2f} | {r['ideal_binary']['sdr_mean']:.2f} | "
                     f"{f(loc['pointing'])} | {num(loc['ciou'])} | {num(loc['auc'])} |")
    return '\n'.join(lines)


def table_motion(res):
    """AMnet Table 7 analogue: every method on the same clips, next to copy-paste and the IBM."""
    some = next(r for k, r in res.items() if '/' in k)
    abl = [(k, label) for k, label in (('motion_only', 'motion-only'), ('one_stage', 'one-stage appearance+motion'))
           if k + '_soft' in some]
    head = (['clips', 'scene', 'copy-paste'] + [label for _, label in abl] +
            ['appearance-only', 'two-stage (appearance + motion)', 'ideal binary mask', 'activity frame accuracy',
             'pointing: appearance map', 'pointing: motion CAM'])
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    pct = lambda v: '-' if v is None else f'{100 * v:.1f} %'
    for key, r in res.items():
        if key.startswith('_') or '/' not in key:
            continue
        var, kind = key.split('/')
        cells = ([var, kind, f"{r['copy_paste']['sdr_mean']:.2f}"] +
                 [f"{r[k + '_soft']['sdr_mean']:.2f}" for k, _ in abl] +
                 [f"{r['appearance_soft']['sdr_mean']:.2f}", f"**{r['two_stage_soft']['sdr_mean']:.2f}**",
                  f"{r['ideal_binary']['sdr_mean']:.2f}", pct(r['activity_frame_accuracy']),
                  pct(r['pointing_appearance']), pct(r['pointing_motion_cam'])])
        lines.append('| ' + ' | '.join(cells) + ' |')
    if 'ame_sync_accuracy' in res:
        lines.append(f"\nAME synchronisation accuracy on test solo scenes (aligned audio closer than a 1-3 s shifted copy): "
                     f"**{100 * res['ame_sync_accuracy']:.1f} %**")
    return '\n'.join(lines)


def table_avpc(res):
    head = ['sound network', 'parameters (sound net / whole model)', 'training steps (batch 8)', 'minutes',
            's / step', 'diff2 SDR', 'three SDR', 'copy-paste diff2 / three', 's per 5.94 s window per click (1 thread)']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for net, label in (('unet', 'U-Net (Sound of Pixels, ngf 16)'), ('avpc', 'AVPC-style predictive coding')):
        if net not in res:
            continue
        r = res[net]
        lines.append(f"| {label} | {r['sound_net_params'] / 1e6:.2f} M / {r['total_params'] / 1e6:.2f} M | {r['steps']} | "
                     f"{r['train_minutes']} | {r['seconds_per_step']:.1f} | **{r['diff2']['sdr_mean']:.2f}** | "
                     f"**{r['three']['sdr_mean']:.2f}** | {r['diff2']['copy_paste']:.2f} / {r['three']['copy_paste']:.2f} | "
                     f"{r['seconds_per_window_one_click']:.2f} |")
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', default='training/runs')
    ap.add_argument('--out', default='docs')
    args = ap.parse_args()
    made = plot_curves(args.runs, os.path.join(args.out, 'img'))
    parts = []
    # motion-25.json: the two-stage model against appearance-only on 25 scenes per row, the first 8 of them
    # motion.json's (which carries the ablation columns, scored once on those 8)
    tables = (('appearance.json', table_appearance), ('motion.json', table_motion), ('motion-25.json', table_motion),
              ('avpc.json', table_avpc))
    for name, fn in tables:
        p = os.path.join(args.out, 'eval', name)
        if os.path.exists(p):
            with open(p) as f:
                parts.append(f'### {name}\n\n' + fn(json.load(f)))
    with open(os.path.join(args.out, 'eval', 'tables.md'), 'w') as f:
        f.write('\n\n'.join(parts) + '\n')
    print('\n'.join(made))
    print('\n\n'.join(parts))


if __name__ == '__main__':
    main()

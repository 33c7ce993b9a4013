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
    return made


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
                     f"{f(loc['pointing'])} | {'-' if loc['ciou'] is None else f'{loc[chr(99) + chr(105) + chr(111) + chr(117)]:.3f}'} | "
                     f"{'-' if loc['auc'] is None else f'{loc[chr(97) + chr(117) + chr(99)]:.3f}'} |")
    return '\n'.join(lines)


def table_motion(res):
    lines = ['| clips | scene | copy-paste | appearance-only | two-stage (appearance + motion) | ideal binary mask | activity frame accuracy | pointing: appearance map | pointing: motion CAM |',
             '|---|---|---|---|---|---|---|---|---|']
    for key, r in res.items():
        if key.startswith('_') or '/' not in key:
            continue
        var, kind = key.split('/')
        pa = '-' if r['pointing_appearance'] is None else f"{100 * r['pointing_appearance']:.1f} %"
        pm = '-' if r['pointing_motion_cam'] is None else f"{100 * r['pointing_motion_cam']:.1f} %"
        lines.append(f"| {var} | {kind} | {r['copy_paste']['sdr_mean']:.2f} | {r['appearance_soft']['sdr_mean']:.2f} | "
                     f"{r['two_stage_soft']['sdr_mean']:.2f} | {r['ideal_binary']['sdr_mean']:.2f} | "
                     f"{100 * r['activity_frame_accuracy']:.1f} % | {pa} | {pm} |")
    if 'ame_sync_accuracy' in res:
        lines.append(f"\nAME synchronisation accuracy on test solo scenes (aligned audio closer than a 1-3 s shifted copy): "
                     f"**{100 * res['ame_sync_accuracy']:.1f} %**")
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', default='training/runs')
    ap.add_argument('--out', default='docs')
    args = ap.parse_args()
    made = plot_curves(args.runs, os.path.join(args.out, 'img'))
    parts = []
    for name, fn in (('appearance.json', table_appearance), ('motion.json', table_motion)):
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

"""STFT and log-frequency warp shared by training, export and (through the exported graph) the app.

STFT: 11025 Hz, periodic Hann window of 1022, hop 256, centre padding (reflect), so a window of
65535 samples gives exactly 256 frames of 512 bins (Sound of Pixels' setting). The warp to 256
log-spaced bins and back is a fixed interpolation matrix, exported inside the ONNX graph, so the
app only ever deals with linear-frequency magnitudes and masks.
"""
import numpy as np
import torch

SR = 11025
N_FFT = 1022
HOP = 256
WIN_SAMPLES = 65535          # -> 256 STFT frames
N_FRAMES = 256
N_BINS = N_FFT // 2 + 1      # 512
N_WARP = 256


def stft_mag(wav):
    """wav (B, L) float -> magnitude (B, 512, frames)."""
    window = torch.hann_window(N_FFT, periodic=True, device=wav.device)
    spec = torch.stft(wav, N_FFT, HOP, window=window, center=True, pad_mode='reflect',
                      return_complex=True)
    return spec.abs()


def warp_matrix(n_in=N_BINS, n_out=N_WARP):
    """(n_out, n_in) linear interpolation rows: output row i samples input bin position
    pos_i = (n_in - 1) * (21 ** (i / (n_out - 1)) - 1) / 20, log-spaced from 0 to n_in - 1
    (Sound of Pixels' warp grid with align_corners=True)."""
    i = np.arange(n_out)
    pos = (n_in - 1) * (np.power(21.0, i / (n_out - 1)) - 1) / 20
    m = np.zeros((n_out, n_in), np.float32)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = pos - lo
    m[i, lo] += 1 - frac
    m[i, hi] += frac
    return m


def unwarp_matrix(n_in=N_BINS, n_out=N_WARP):
    """(n_in, n_out): maps a 256-bin log-frequency mask back to 512 linear bins by interpolating
    along the inverse warp position of each linear bin."""
    f = np.arange(n_in)
    # inverse of pos(i): i = (n_out - 1) * log(1 + 20 f / (n_in - 1)) / log(21)
    q = (n_out - 1) * np.log1p(20 * f / (n_in - 1)) / np.log(21)
    m = np.zeros((n_in, n_out), np.float32)
    lo = np.clip(np.floor(q).astype(int), 0, n_out - 1)
    hi = np.minimum(lo + 1, n_out - 1)
    frac = q - lo
    m[f, lo] += 1 - frac
    m[f, hi] += frac
    return m

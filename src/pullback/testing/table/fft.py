"""OpInfo entries for numpy.fft (rules/fft.py). Real-to-real compositions run over the standard
real samples; complex inputs and outputs are checked in tests/rules/test_fft_special.py."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opinfo import NondiffInfo, OpInfo

ND = (((6,),), ((4, 6),), ((2, 4, 5),))  # transforms need ndim >= 1 (and >= 2 for the 2-D ones)
ND2 = (((4, 6),), ((2, 4, 5),))
FFT = np.fft


def _spectrum_weight(y: Any) -> Any:
    """A fixed complex weight, so the compositions below are not the identity."""
    k = np.arange(y.shape[-1])
    return np.exp(0.3j * k) * (1 + 0.1 * k)


def _c2c(fwd: Any, inv: Any, **kw: Any) -> Any:
    def fn(x: Any) -> Any:
        y = fwd(x, **kw)
        return inv(y * _spectrum_weight(y).astype(y.dtype)).real

    return fn


def _r2r(x: Any, **kw: Any) -> Any:
    y = FFT.rfft(x, **kw)
    return FFT.irfft(y * _spectrum_weight(y).astype(y.dtype), n=x.shape[-1])


def _weighted(x: Any) -> Any:
    """A complex Hermitian half-spectrum made from real x (hfft's input)."""
    return x * _spectrum_weight(x).astype(np.result_type(x.dtype, np.complex64))


def _parts(z: Any) -> Any:
    """Real and imaginary parts side by side: a real output that sees both."""
    return np.concatenate([np.real(z), 2.0 * np.imag(z)], axis=-1)


OPS: list[OpInfo] = [
    OpInfo("fft/ifft", _c2c(FFT.fft, FFT.ifft), (FFT.fft, FFT.ifft), shapes=ND),
    OpInfo("fft n=8/ifft", _c2c(FFT.fft, FFT.ifft, n=8), (FFT.fft,), shapes=ND),
    OpInfo("fft n=4 ortho/ifft", _c2c(FFT.fft, FFT.ifft, n=4, norm="ortho"), (FFT.fft,), shapes=ND),
    OpInfo("fft2/ifft2", _c2c(FFT.fft2, FFT.ifft2), (FFT.fft2, FFT.ifft2), shapes=ND2),
    OpInfo("fftn/ifftn", _c2c(FFT.fftn, FFT.ifftn), (FFT.fftn, FFT.ifftn), shapes=ND),
    OpInfo(
        "fftn s axes/ifftn",
        _c2c(FFT.fftn, FFT.ifftn, s=(3, 7), axes=(0, -1), norm="forward"),
        (FFT.fftn,),
        shapes=ND2,
    ),
    OpInfo("rfft/irfft", _r2r, (FFT.rfft, FFT.irfft), shapes=ND),
    OpInfo("rfft n=9/irfft", lambda x: _r2r(x, n=9), (FFT.rfft,), shapes=ND),
    OpInfo("rfft n=4 ortho/irfft", lambda x: _r2r(x, n=4, norm="ortho"), (FFT.rfft,), shapes=ND),
    OpInfo(
        "rfft2/irfft2",
        lambda x: FFT.irfft2(FFT.rfft2(x) * 1.5j, s=x.shape[-2:]),
        (FFT.rfft2, FFT.irfft2),
        shapes=ND2,
    ),
    OpInfo(
        "rfftn/irfftn",
        lambda x: FFT.irfftn(FFT.rfftn(x, axes=(0, -1)) * (0.5 + 1j), s=(5, 7), axes=(0, -1)),
        (FFT.rfftn, FFT.irfftn),
        shapes=ND2,
    ),
    OpInfo("hfft", lambda x: FFT.hfft(_weighted(x)), (FFT.hfft,), shapes=ND),
    OpInfo(
        "hfft n=7 ortho axis=0",
        lambda x: FFT.hfft(_weighted(x), n=7, axis=0, norm="ortho"),
        (FFT.hfft,),
        shapes=ND2,
    ),
    OpInfo("hfft forward", lambda x: FFT.hfft(x, norm="forward"), (FFT.hfft,), shapes=ND),
    OpInfo("ihfft", lambda x: _parts(FFT.ihfft(x)), (FFT.ihfft,), shapes=ND),
    OpInfo(
        "ihfft n=8 ortho",
        lambda x: _parts(FFT.ihfft(x, n=8, norm="ortho")),
        (FFT.ihfft,),
        shapes=ND,
    ),
    OpInfo(
        "ihfft forward axis=0",
        lambda x: _parts(FFT.ihfft(x, axis=0, norm="forward")),
        (FFT.ihfft,),
        shapes=ND2,
    ),
    OpInfo("fftshift", FFT.fftshift, (FFT.fftshift,), shapes=ND),
    OpInfo("ifftshift axes", lambda x: FFT.ifftshift(x, axes=-1), (FFT.ifftshift,), shapes=ND),
]
NONDIFF: list[NondiffInfo] = []

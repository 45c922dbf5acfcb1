/*
 * Compatibility layer: the mediasoup worker is written against mediasoup's
 * libsrtp fork (libsrtp-3.0-alpha), whose calls take size_t lengths and whose
 * stream removal is named srtp_stream_remove. Debian ships libsrtp 2.x, which
 * takes int lengths and names it srtp_remove_stream. The wire format and the
 * semantics are the same, so thin C++ overloads are enough.
 *
 * This header shadows <srtp.h> for the worker (the libsrtp2 shim puts its
 * include directory first); the real header lives at <srtp2/srtp.h>.
 */
#ifndef CLASSCAST_SRTP_COMPAT_H
#define CLASSCAST_SRTP_COMPAT_H

#include <srtp2/srtp.h>

#ifdef __cplusplus
#include <climits>
#include <cstddef>

namespace classcast_srtp_compat
{
	template<typename Fn>
	inline srtp_err_status_t WithIntLength(size_t* len, Fn fn)
	{
		if (*len > static_cast<size_t>(INT_MAX))
			return srtp_err_status_bad_param;

		int intLen = static_cast<int>(*len);
		const srtp_err_status_t err = fn(&intLen);

		// libsrtp only writes a length back on success, and never a negative one.
		if (err == srtp_err_status_ok && intLen >= 0)
			*len = static_cast<size_t>(intLen);

		return err;
	}
} // namespace classcast_srtp_compat

inline srtp_err_status_t srtp_protect(srtp_t ctx, void* rtpHdr, size_t* len)
{
	return classcast_srtp_compat::WithIntLength(
	  len, [&](int* l) { return srtp_protect(ctx, rtpHdr, l); });
}

inline srtp_err_status_t srtp_unprotect(srtp_t ctx, void* srtpHdr, size_t* len)
{
	return classcast_srtp_compat::WithIntLength(
	  len, [&](int* l) { return srtp_unprotect(ctx, srtpHdr, l); });
}

inline srtp_err_status_t srtp_protect_rtcp(srtp_t ctx, void* rtcpHdr, size_t* len)
{
	return classcast_srtp_compat::WithIntLength(
	  len, [&](int* l) { return srtp_protect_rtcp(ctx, rtcpHdr, l); });
}

inline srtp_err_status_t srtp_unprotect_rtcp(srtp_t ctx, void* srtcpHdr, size_t* len)
{
	return classcast_srtp_compat::WithIntLength(
	  len, [&](int* l) { return srtp_unprotect_rtcp(ctx, srtcpHdr, l); });
}

inline srtp_err_status_t srtp_stream_remove(srtp_t session, uint32_t ssrc)
{
	return srtp_remove_stream(session, ssrc);
}
#endif /* __cplusplus */

#endif /* CLASSCAST_SRTP_COMPAT_H */

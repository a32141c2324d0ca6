//! Bindings to `<sys/socket.h>`: the socket calls, the control-message
//! types, and the `CMSG_*` macros (function-like macros bindgen cannot
//! bind) through `function_macro`, each then a helper cinline inlines.

fn main() {
    cinline_build::Builder::new()
        .header("wrapper.h")
        .allowlist_function("socketpair|sendmsg|recvmsg|close|pipe|read|write")
        .allowlist_type("msghdr|cmsghdr|iovec|__socket_type")
        .allowlist_var("AF_UNIX|SOL_SOCKET|SCM_RIGHTS")
        .function_macro("size_t CMSG_ALIGN(size_t len)")
        .function_macro("size_t CMSG_SPACE(size_t len)")
        .function_macro("size_t CMSG_LEN(size_t len)")
        .function_macro("struct cmsghdr *CMSG_FIRSTHDR(struct msghdr *mhdr)")
        .function_macro("struct cmsghdr *CMSG_NXTHDR(struct msghdr *mhdr, struct cmsghdr *cmsg)")
        .function_macro("unsigned char *CMSG_DATA(struct cmsghdr *cmsg)")
        .generate();
}

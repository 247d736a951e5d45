/* `rsp smdpp` pieces beside cmd_smdpp.c. */
#ifndef RSP_APPS_SMDPP_CMDS_H
#define RSP_APPS_SMDPP_CMDS_H

/* `rsp smdpp ac qr`: the activation code as a QR code, in the terminal or (png_path) as a PNG of
 * `scale` pixels per module. Exit code as the CLI's. */
int rsp_smdpp_cmd_qr(const char *code, const char *png_path, int scale);

#endif

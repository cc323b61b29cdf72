# SPDX-License-Identifier: GPL-2.0
#
# Generates rust/bindings_generated.rs from rust/bindings_helper.h with bindgen,
# against the headers and the configuration of the kernel being built against
# (struct layouts depend on both, so the output is never committed).
#
# Included from the top-level Kbuild; the including Kbuild adds the dependency
# of its crate root on $(obj)/rust/bindings_generated.rs.

# Flags that GCC understands and libclang rejects. bindgen parses the headers
# with libclang, so a GCC-built kernel's c_flags must lose these first. The list
# follows the kernel's own rust/Makefile; on a clang-built kernel it is a no-op.
bes2600_bindgen_skip_c_flags := -mno-fp-ret-in-387 -mpreferred-stack-boundary=% \
	-mskip-rax-setup -mgeneral-regs-only -msign-return-address=% \
	-mindirect-branch=thunk-extern -mindirect-branch-register \
	-mfunction-return=thunk-extern -mrecord-mcount -mabi=lp64 \
	-mindirect-branch-cs-prefix -mstack-protector-guard% -mtraceback=no \
	-mno-pointers-to-nested-functions -mno-string \
	-mno-strict-align -mstrict-align -mdirect-extern-access \
	-mexplicit-relocs -mno-check-zero-division \
	-fconserve-stack -falign-jumps=% -falign-loops=% \
	-femit-struct-debug-baseonly -fno-ipa-cp-clone -fno-ipa-sra \
	-fno-partial-inlining -fplugin-arg-arm_ssp_per_task_plugin-% \
	-fno-reorder-blocks -fno-allow-store-data-races -fasan-shadow-offset=% \
	-fzero-call-used-regs=% -fno-stack-clash-protection \
	-fno-inline-functions-called-once -fsanitize=bounds-strict \
	-fstrict-flex-arrays=% -fmin-function-alignment=% \
	-fzero-init-padding-bits=% -mno-fdpic \
	-fdiagnostics-show-context -fdiagnostics-show-context=% \
	--param=% --param asan-% -fno-isolate-erroneous-paths-dereference \
	-ffixed-r2 -mmultiple -mno-readonly-in-sdata

bes2600_bindgen_target_x86 := x86_64-linux-gnu
bes2600_bindgen_target_arm64 := aarch64-linux-gnu
bes2600_bindgen_target := $(bes2600_bindgen_target_$(SRCARCH))

# The C API surface the abstractions use; everything else stays out of the
# generated file (it would otherwise be tens of thousands of lines). The host-controller
# types get no `Default`: only the test bench uses them, and a derived impl would put
# test-bench code into the driver module.
bes2600_bindgen_allow := \
	--allowlist-function 'sdio_.*' \
	--allowlist-function '__sdio_register_driver' \
	--allowlist-function 'bes2600_helper_.*' \
	--allowlist-function 'mmc_(alloc|add|remove|free)_host' \
	--allowlist-function 'mmc_request_done' \
	--allowlist-function 'mmc_detect_change' \
	--allowlist-function 'mmc_hw_reset' \
	--allowlist-function 'sg_copy_(to|from)_buffer' \
	--allowlist-type 'sdio_.*' \
	--allowlist-type 'bes2600_.*' \
	--allowlist-type 'mmc_host_ops' \
	--allowlist-type 'mmc_(ios|request|command|data)' \
	--allowlist-var 'SDIO_.*' \
	--allowlist-var 'MMC_CAP2?_.*' \
	--allowlist-var 'MMC_VDD_3[23]_3[34]' \
	--allowlist-var 'MMC_RSP_(PRESENT|136|BUSY)' \
	--allowlist-var 'MMC_POWER_.*' \
	--allowlist-var 'MMC_BUS_WIDTH_.*' \
	--allowlist-var 'BES2600_.*' \
	--allowlist-var 'PM_(POST_(SUSPEND|HIBERNATION|RESTORE)|(SUSPEND|HIBERNATION|RESTORE)_PREPARE)' \
	--allowlist-var 'NOTIFY_(DONE|OK|STOP_MASK)' \
	--allowlist-function 'ieee80211_(alloc_hw_nm|register_hw|unregister_hw|free_hw)' \
	--allowlist-function 'ieee80211_(tx_status_skb|free_txskb)' \
	--allowlist-function 'ieee80211_(stop|wake)_queues?' \
	--allowlist-function 'ieee80211_(connection_loss|beacon_loss|cqm_rssi_notify|restart_hw)' \
	--allowlist-function 'ieee80211_hw_restart_disconnect' \
	--allowlist-function 'ieee80211_iterate_active_interfaces_atomic' \
	--allowlist-function 'ieee80211_handle_wake_tx_queue' \
	--allowlist-function 'ieee80211_emulate_(add|remove|change|switch_vif)_chanctx' \
	--allowlist-function 'skb_(put|push|pull|trim|queue_tail|dequeue)' \
	--allowlist-function 'pskb_expand_head' \
	--allowlist-type 'ieee80211_(ops|hw|vif|vif_cfg|bss_conf|sta|link_sta|key_conf)' \
	--allowlist-type 'ieee80211_(scan_request|scan_ies|tx_queue_params|low_level_stats)' \
	--allowlist-type 'ieee80211_(ampdu_params|tx_control|conf|supported_band|channel|rate)' \
	--allowlist-type 'ieee80211_(sta_ht_cap|mcs_info)' \
	--allowlist-type 'cfg80211_(scan_request|ssid|chan_def)' \
	--allowlist-type 'mac_address' \
	--allowlist-type 'sk_buff_head' \
	--allowlist-type 'ieee80211_(hw_flags|key_flags|ampdu_mlme_action|filter_flags)' \
	--allowlist-type 'ieee80211_(conf_changed|conf_flags|bss_change|interface_iteration_flags)' \
	--allowlist-type 'ieee80211_(channel_flags|rate_flags|regulatory_flags)' \
	--allowlist-type 'mac80211_(tx_info_flags|tx_control_flags|rate_control_flags)' \
	--allowlist-type 'mac80211_(rx_flags|rx_encoding|rx_encoding_flags)' \
	--allowlist-type 'rate_info_bw' \
	--allowlist-type 'set_key_cmd' \
	--allowlist-type 'wiphy_flags' \
	--allowlist-type 'nl80211_(band|chan_width|iftype|ext_feature_index|cqm_rssi_threshold_event)' \
	--allowlist-var 'IEEE80211_AMPDU_TX_START_.*' \
	--allowlist-var 'IEEE80211_TX_MAX_RATES' \
	--opaque-type 'device' \
	--opaque-type 'device_driver' \
	--opaque-type 'mmc_card' \
	--opaque-type 'mmc_host' \
	--opaque-type 'completion' \
	--opaque-type 'scatterlist' \
	--opaque-type 'bio_crypt_ctx' \
	--opaque-type 'module' \
	--opaque-type 'sk_buff' \
	--opaque-type 'sk_buff_head' \
	--opaque-type 'wiphy' \
	--opaque-type 'wireless_dev' \
	--opaque-type 'net_device' \
	--no-default 'mmc_.*'

quiet_cmd_bes2600_bindgen = BINDGEN $@
      cmd_bes2600_bindgen = \
	$(BINDGEN) $< --rust-target 1.85 --use-core --with-derive-default \
		--ctypes-prefix ffi --no-layout-tests --no-debug '.*' \
		--enable-function-attribute-detection $(bes2600_bindgen_allow) \
		-o $@ -- $(filter-out $(bes2600_bindgen_skip_c_flags),$(c_flags)) \
		-w --target=$(bes2600_bindgen_target) -fno-builtin -D__BINDGEN__ \
		-DMODULE -I$(src)/rust

$(obj)/rust/bindings_generated.rs: $(src)/rust/bindings_helper.h $(src)/rust/helpers.h FORCE
	$(call if_changed_dep,bes2600_bindgen)

targets += rust/bindings_generated.rs

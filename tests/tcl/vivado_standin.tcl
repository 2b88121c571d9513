# A tclsh stand-in for the Vivado commands that the scripts of `squeezeflow bitstream` use (tests/test_bitstream.py).
#
#   tclsh vivado_standin.tcl SCRIPT [ARGS...]       (SCRIPT sees ARGS as argv, as under vivado -tclargs)
#
# It checks the structure of the flow, not synthesis: nothing here knows what the IPs do or whether the design meets
# timing. Checked: every command is one this stand-in defines, with known options and the right number of
# arguments; every file and folder named exists, or was produced earlier by a command modelled here (project, block
# design, wrapper, runs, .hwh, .bit, reports); IPs come from a small table of VLNVs (the accelerator's from the HLS
# IP repository, which must hold a component.xml, or from an added Verilog file for a module reference); CONFIG
# parameters are ones the IP has, with legal values; every pin or interface used exists on its cell under the cell's
# configuration at that moment and again at validation; interface nets join one master to one slave, nets have one
# driver, stream and bus widths agree; at validation every clock, reset and AXI interface the overlay needs is
# connected and addresses were assigned after the last connection; the wrapper is made from a validated design; the
# bitstream run follows synthesis and the reports an opened implementation. The call sequence goes to a log.
#
# Environment: SF_STANDIN_LOG (the log, required); SF_STANDIN_IPS (a Tcl file defining the accelerator with `ip` or
# `module`, written by tests/standin.py from the generated HLS C++ or Verilog); SF_STANDIN_BOARD_PARTS (the board
# parts "installed", space-separated; default none); SF_STANDIN_WNS (the WNS implementation achieves; default 0.250).

set ::log [open $::env(SF_STANDIN_LOG) w]

proc fail {message} { error "stand-in: $message" }

proc record {name arglist} {
    puts $::log [concat [list $name] $arglist]
    flush $::log
}

# Record a call and split its arguments: `spec` maps each known option to 1 (takes a value) or 0 (a flag); the
# positional arguments must number lo..hi. -> {options positional}
proc call {name arglist spec lo hi} {
    record $name $arglist
    set opts [dict create]
    set pos {}
    for {set i 0} {$i < [llength $arglist]} {incr i} {
        set arg [lindex $arglist $i]
        if {[string match -* $arg] && ![string is double -strict $arg]} {
            if {![dict exists $spec $arg]} { fail "$name: unknown option $arg" }
            if {[dict get $spec $arg]} {
                if {[incr i] >= [llength $arglist]} { fail "$name: $arg needs a value" }
                dict set opts $arg [lindex $arglist $i]
            } else {
                dict set opts $arg 1
            }
        } else {
            lappend pos $arg
        }
    }
    if {[llength $pos] < $lo || [llength $pos] > $hi} {
        fail "$name: takes $lo to $hi arguments besides options, got [llength $pos] ($pos)"
    }
    return [list $opts $pos]
}

proc must_exist {what path} {
    if {![file exists $path]} { fail "$what does not exist: $path" }
    return [file normalize $path]
}

proc produce {path text} {
    file mkdir [file dirname $path]
    set fh [open $path w]
    puts $fh $text
    close $fh
}

# --- the IP table -------------------------------------------------------------------------------------------------
# ip VLNV DEFAULTS VALID PORTS ?extra?: DEFAULTS are the CONFIG parameters the scripts may set, VALID an expr over $v
# per parameter, PORTS {name intf|pin M|S|I|O required condition ?width?}: the port exists when the condition (an expr
# over [cfg PARAM] of the cell) holds, "required" ports must be connected at validation. `extra` holds `rule` (the
# automation rule), `version`, `repo` (1: only after update_ip_catalog found it in an IP repository) and `derived`
# (read-only parameter -> the parameter it follows: the stand-in cannot divide PLLs).

set ::ips [dict create]
set ::modules [dict create]

proc ip {vlnv defaults valid ports {extra {}}} {
    dict set ::ips $vlnv [dict merge {rule "" version "" repo 0 derived {}} $extra \
        [dict create defaults $defaults valid $valid ports $ports]]
}

# module NAME FILE PORTS: a Verilog module (for create_bd_cell -type module) defined in FILE.
proc module {name file ports} {
    dict set ::modules $name [dict create file [file normalize $file] ports $ports]
}

set flag {$v in {0 1}}
ip xilinx.com:ip:zynq_ultra_ps_e {
    PSU__USE__M_AXI_GP0 1 PSU__USE__M_AXI_GP1 1 PSU__USE__M_AXI_GP2 0 PSU__USE__S_AXI_GP2 0
    PSU__FPGA_PL0_ENABLE 1 PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ 100
} [dict create PSU__USE__M_AXI_GP0 $flag PSU__USE__M_AXI_GP1 $flag PSU__USE__M_AXI_GP2 $flag \
    PSU__USE__S_AXI_GP2 $flag PSU__FPGA_PL0_ENABLE $flag PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ {$v > 0 && $v <= 600}] {
    {M_AXI_HPM0_FPD intf M 0 {[cfg PSU__USE__M_AXI_GP0]}}
    {maxihpm0_fpd_aclk pin I 1 {[cfg PSU__USE__M_AXI_GP0]}}
    {M_AXI_HPM1_FPD intf M 0 {[cfg PSU__USE__M_AXI_GP1]}}
    {maxihpm1_fpd_aclk pin I 1 {[cfg PSU__USE__M_AXI_GP1]}}
    {M_AXI_HPM0_LPD intf M 0 {[cfg PSU__USE__M_AXI_GP2]}}
    {maxihpm0_lpd_aclk pin I 1 {[cfg PSU__USE__M_AXI_GP2]}}
    {S_AXI_HP0_FPD intf S 0 {[cfg PSU__USE__S_AXI_GP2]}}
    {saxihp0_fpd_aclk pin I 1 {[cfg PSU__USE__S_AXI_GP2]}}
    {pl_clk0 pin O 0 {[cfg PSU__FPGA_PL0_ENABLE]}}
    {pl_resetn0 pin O 0 1}
} {rule xilinx.com:bd_rule:zynq_ultra_ps_e
   derived {PSU__CRL_APB__PL0_REF_CTRL__ACT_FREQMHZ PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ}}

ip xilinx.com:ip:processing_system7 {
    PCW_USE_M_AXI_GP0 1 PCW_USE_S_AXI_HP0 0 PCW_EN_CLK0_PORT 1 PCW_EN_RST0_PORT 1 PCW_FPGA0_PERIPHERAL_FREQMHZ 50
} [dict create PCW_USE_M_AXI_GP0 $flag PCW_USE_S_AXI_HP0 $flag PCW_EN_CLK0_PORT $flag PCW_EN_RST0_PORT $flag \
    PCW_FPGA0_PERIPHERAL_FREQMHZ {$v > 0 && $v <= 250}] {
    {M_AXI_GP0 intf M 0 {[cfg PCW_USE_M_AXI_GP0]}}
    {M_AXI_GP0_ACLK pin I 1 {[cfg PCW_USE_M_AXI_GP0]}}
    {S_AXI_HP0 intf S 0 {[cfg PCW_USE_S_AXI_HP0]}}
    {S_AXI_HP0_ACLK pin I 1 {[cfg PCW_USE_S_AXI_HP0]}}
    {FCLK_CLK0 pin O 0 {[cfg PCW_EN_CLK0_PORT]}}
    {FCLK_RESET0_N pin O 0 {[cfg PCW_EN_RST0_PORT]}}
    {DDR intf M 1 1}
    {FIXED_IO intf M 1 1}
} {rule xilinx.com:bd_rule:processing_system7
   derived {PCW_ACT_FPGA0_PERIPHERAL_FREQMHZ PCW_FPGA0_PERIPHERAL_FREQMHZ}}

set stream_width {$v in {8 16 32 64 128 256 512 1024}}
set bus_width {$v in {32 64 128 256 512 1024}}
ip xilinx.com:ip:axi_dma {
    c_include_sg 1 c_sg_length_width 14 c_include_mm2s 1 c_include_s2mm 1 c_addr_width 32
    c_m_axi_mm2s_data_width 32 c_m_axis_mm2s_tdata_width 32 c_m_axi_s2mm_data_width 32 c_s_axis_s2mm_tdata_width 32
} [dict create c_include_sg $flag c_sg_length_width {$v >= 8 && $v <= 26} c_include_mm2s $flag \
    c_include_s2mm $flag c_addr_width {$v >= 32 && $v <= 64} c_m_axi_mm2s_data_width $bus_width \
    c_m_axis_mm2s_tdata_width $stream_width c_m_axi_s2mm_data_width $bus_width \
    c_s_axis_s2mm_tdata_width $stream_width] {
    {S_AXI_LITE intf S 1 1}
    {s_axi_lite_aclk pin I 1 1}
    {axi_resetn pin I 1 1}
    {M_AXI_SG intf M 1 {[cfg c_include_sg]}}
    {m_axi_sg_aclk pin I 1 {[cfg c_include_sg]}}
    {M_AXI_MM2S intf M 1 {[cfg c_include_mm2s]}}
    {M_AXIS_MM2S intf M 1 {[cfg c_include_mm2s]} {[cfg c_m_axis_mm2s_tdata_width]}}
    {m_axi_mm2s_aclk pin I 1 {[cfg c_include_mm2s]}}
    {mm2s_introut pin O 0 {[cfg c_include_mm2s]}}
    {M_AXI_S2MM intf M 1 {[cfg c_include_s2mm]}}
    {S_AXIS_S2MM intf S 1 {[cfg c_include_s2mm]} {[cfg c_s_axis_s2mm_tdata_width]}}
    {m_axi_s2mm_aclk pin I 1 {[cfg c_include_s2mm]}}
    {s2mm_introut pin O 0 {[cfg c_include_s2mm]}}
}

set ports {{aclk pin I 1 1} {aresetn pin I 1 1} {aclk1 pin I 1 {[cfg NUM_CLKS] > 1}}}
for {set i 0} {$i < 16} {incr i} {
    lappend ports [list [format S%02d_AXI $i] intf S 1 "\[cfg NUM_SI\] > $i"]
    lappend ports [list [format M%02d_AXI $i] intf M 1 "\[cfg NUM_MI\] > $i"]
}
ip xilinx.com:ip:smartconnect {NUM_SI 1 NUM_MI 1 NUM_CLKS 1} \
    {NUM_SI {$v >= 1 && $v <= 16} NUM_MI {$v >= 1 && $v <= 16} NUM_CLKS {$v >= 1 && $v <= 16}} $ports

ip xilinx.com:ip:proc_sys_reset {} {} {
    {slowest_sync_clk pin I 1 1} {ext_reset_in pin I 1 1} {aux_reset_in pin I 0 1} {mb_debug_sys_rst pin I 0 1}
    {dcm_locked pin I 0 1} {peripheral_aresetn pin O 0 1} {interconnect_aresetn pin O 0 1}
    {peripheral_reset pin O 0 1} {bus_struct_reset pin O 0 1} {mb_reset pin O 0 1}
}

ip xilinx.com:ip:axi_gpio {C_ALL_INPUTS 0 C_ALL_OUTPUTS 0 C_GPIO_WIDTH 32 C_IS_DUAL 0} \
    [dict create C_ALL_INPUTS $flag C_ALL_OUTPUTS $flag C_GPIO_WIDTH {$v >= 1 && $v <= 32} C_IS_DUAL $flag] {
    {S_AXI intf S 1 1} {s_axi_aclk pin I 1 1} {s_axi_aresetn pin I 1 1} {ip2intc_irpt pin O 0 1}
    {gpio_io_i pin I 0 {![cfg C_ALL_OUTPUTS]} {[cfg C_GPIO_WIDTH]}}
    {gpio_io_o pin O 0 {![cfg C_ALL_INPUTS]} {[cfg C_GPIO_WIDTH]}}
}

if {[info exists ::env(SF_STANDIN_IPS)]} { source $::env(SF_STANDIN_IPS) }

# --- state --------------------------------------------------------------------------------------------------------

set ::project ""          ;# dict: name dir part board_part ip_repos top
set ::catalog {}          ;# repository IPs found by update_ip_catalog
set ::added {}            ;# normalized paths of added source files
set ::compiled {}         ;# files seen by update_compile_order
set ::bd ""               ;# the block design's name
set ::cells [dict create] ;# name -> dict: vlnv (or module) config ports
set ::connected [dict create] ;# "cell/port" -> net number
set ::nets 0
set ::addressed 0
set ::validated 0
set ::wrapper ""          ;# the wrapper file make_wrapper produced
set ::runs [dict create synth_1 {state new hook ""} impl_1 {state new hook ""}]
set ::opened ""
set ::board_parts [expr {[info exists ::env(SF_STANDIN_BOARD_PARTS)] ? $::env(SF_STANDIN_BOARD_PARTS) : ""}]
set ::wns [expr {[info exists ::env(SF_STANDIN_WNS)] ? $::env(SF_STANDIN_WNS) : 0.250}]

proc need_project {} { if {$::project eq ""} { fail "no project: create_project first" } }
proc need_bd {} { if {$::bd eq ""} { fail "no block design: create_bd_design first" } }
proc proj {key} { return [dict get $::project $key] }
proc gen_dir {} { return "[proj dir]/[proj name].gen/sources_1/bd/$::bd" }
proc run_dir {run} { return "[proj dir]/[proj name].runs/$run" }
proc changed {} { set ::validated 0 }

# The value of parameter `name` of the cell being evaluated (see `holds`).
proc cfg {name} {
    set config [dict get $::cells $::evaluating config]
    if {![dict exists $config $name]} { fail "$::evaluating has no parameter $name" }
    return [dict get $config $name]
}

proc holds {cell expression} {
    set ::evaluating $cell
    return [expr $expression]
}

# The port `port` of `cell` as {name kind dir required condition width}, failing unless it exists now as `kind`.
proc port {cell port kind} {
    if {![dict exists $::cells $cell]} { fail "no cell $cell (create_bd_cell first)" }
    foreach entry [dict get $::cells $cell ports] {
        lassign $entry name k dir required condition width
        if {$name ne $port} { continue }
        if {$k ne $kind} { fail "$cell/$port is a $k, not a $kind" }
        if {![holds $cell $condition]} { fail "$cell/$port does not exist with this configuration ($condition)" }
        return $entry
    }
    fail "$cell ([dict get $::cells $cell type]) has no $kind $port"
}

proc width {cell entry} {
    set width [lindex $entry 5]
    return [expr {$width eq "" ? "" : [holds $cell $width]}]
}

proc handle {prefix value} {
    if {![string match $prefix:* $value]} { fail "expected a $prefix object, got '$value'" }
    return [string range $value [string length $prefix:] end]
}

# --- project, files, IP catalog -----------------------------------------------------------------------------------

proc create_project {args} {
    lassign [call create_project $args {-part 1 -force 0 -in_memory 0} 2 2] opts pos
    lassign $pos name dir
    if {![dict exists $opts -part] || ![regexp {^xc[a-z0-9-]+-[0-9][-0-9A-Za-z]*$} [dict get $opts -part]]} {
        fail "create_project: -part PART (a device, like xczu3eg-sbva484-1-i) is required"
    }
    must_exist "the project's parent folder" [file dirname $dir]
    if {[file exists $dir] && ![dict exists $opts -force]} { fail "create_project: $dir exists (use -force)" }
    file mkdir $dir
    set ::project [dict create name $name dir [file normalize $dir] part [dict get $opts -part] board_part "" \
        ip_repos {} top ""]
    return project:$name
}

proc current_project {args} {
    call current_project $args {} 0 0
    need_project
    return project:[proj name]
}

proc current_fileset {args} {
    call current_fileset $args {} 0 0
    need_project
    return fileset:sources_1
}

proc get_board_parts {args} {
    lassign [call get_board_parts $args {-quiet 0} 1 1] opts pos
    return [lsearch -all -inline -glob $::board_parts [lindex $pos 0]]
}

proc update_ip_catalog {args} {
    call update_ip_catalog $args {} 0 0
    need_project
    foreach repo [proj ip_repos] {
        if {[llength [glob -nocomplain -directory $repo -- component.xml */component.xml]]} {
            dict for {vlnv def} $::ips { if {[dict get $def repo]} { lappend ::catalog $vlnv } }
        }
    }
}

proc add_files {args} {
    lassign [call add_files $args {-norecurse 0 -fileset 1} 1 1] opts pos
    need_project
    foreach f [lindex $pos 0] { lappend ::added [must_exist "add_files: file" $f] }
}

proc update_compile_order {args} {
    call update_compile_order $args {-fileset 1} 0 0
    set ::compiled $::added
}

proc get_files {args} {
    lassign [call get_files $args {} 1 1] opts pos
    set bd_file "[proj dir]/[proj name].srcs/sources_1/bd/$::bd/$::bd.bd"
    if {$::bd ne "" && [lindex $pos 0] eq "$::bd.bd"} { return file:$bd_file }
    set found [lsearch -inline -glob $::added */[lindex $pos 0]]
    if {$found eq ""} { fail "get_files: no file [lindex $pos 0] in the project" }
    return file:$found
}

proc get_runs {args} {
    lassign [call get_runs $args {} 1 1] opts pos
    need_project
    if {![dict exists $::runs [lindex $pos 0]]} { fail "get_runs: no run [lindex $pos 0]" }
    return run:[lindex $pos 0]
}

# --- properties ---------------------------------------------------------------------------------------------------

proc set_config {cell name value} {
    set def [dict get $::ips [dict get $::cells $cell type]]
    if {![string match CONFIG.* $name] || ![dict exists $def defaults [string range $name 7 end]]} {
        fail "[dict get $::cells $cell type] has no parameter $name"
    }
    set key [string range $name 7 end]
    set v $value
    if {[dict exists $def valid $key] && ![expr [dict get $def valid $key]]} {
        fail "$cell: $name {$value} is out of range"
    }
    dict set ::cells $cell config $key $value
    changed
}

proc set_one {name value object} {
    switch -glob -- $object {
        project:* {
            switch -- $name {
                board_part {
                    if {$value ni $::board_parts} { fail "board part $value is not installed" }
                    dict set ::project board_part $value
                }
                ip_repo_paths {
                    foreach repo $value { must_exist "IP repository" $repo }
                    dict set ::project ip_repos [lmap repo $value {file normalize $repo}]
                }
                default { fail "set_property: unknown project property $name" }
            }
        }
        fileset:* {
            if {$name ne "top"} { fail "set_property: unknown fileset property $name" }
            if {$::wrapper eq "" || [file normalize $::wrapper] ni $::added
                    || $value ne [file rootname [file tail $::wrapper]]} {
                fail "set_property top $value: not the module of an added wrapper"
            }
            dict set ::project top $value
        }
        run:* {
            if {$name ne "STEPS.SYNTH_DESIGN.TCL.PRE" || [handle run $object] ne "synth_1"} {
                fail "set_property: unknown property $name of $object"
            }
            dict set ::runs synth_1 hook [must_exist "synthesis hook" $value]
        }
        file:* {
            if {$name ne "synth_checkpoint_mode" || $value ni {None Singular Hierarchical}} {
                fail "set_property: $name {$value} on a file"
            }
        }
        cell:* { set_config [handle cell $object] $name $value }
        default { fail "set_property: unknown object '$object'" }
    }
}

proc set_property {args} {
    lassign [call set_property $args {-dict 1 -quiet 0} 1 3] opts pos
    if {[dict exists $opts -dict]} {
        if {[llength $pos] != 1} { fail "set_property -dict LIST OBJECT" }
        dict for {name value} [dict get $opts -dict] { set_one $name $value [lindex $pos 0] }
    } else {
        if {[llength $pos] != 3} { fail "set_property NAME VALUE OBJECT" }
        set_one {*}$pos
    }
}

proc get_property {args} {
    lassign [call get_property $args {-quiet 0} 2 2] opts pos
    lassign $pos name object
    switch -glob -- $object {
        cell:* {
            set cell [handle cell $object]
            set def [dict get $::ips [dict get $::cells $cell type]]
            set key [string range $name 7 end]
            if {[dict exists $def derived $key]} { set key [dict get $def derived $key] }
            if {![dict exists $::cells $cell config $key]} { fail "get_property: $cell has no $name" }
            return [dict get $::cells $cell config $key]
        }
        run:* {
            set run [handle run $object]
            set state [dict get $::runs $run state]
            switch -- $name {
                PROGRESS { return [expr {$state eq "done" ? "100%" : "0%"}] }
                DIRECTORY { return [run_dir $run] }
                STATS.WNS {
                    if {$run ne "impl_1" || $state ne "done"} { fail "STATS.WNS before implementation" }
                    return $::wns
                }
                default { fail "get_property: unknown run property $name" }
            }
        }
        default { fail "get_property: unsupported object '$object'" }
    }
}

# --- block design -------------------------------------------------------------------------------------------------

proc create_bd_design {args} {
    lassign [call create_bd_design $args {} 1 1] opts pos
    need_project
    if {$::bd ne ""} { fail "create_bd_design: $::bd exists" }
    set ::bd [lindex $pos 0]
}

proc create_bd_cell {args} {
    lassign [call create_bd_cell $args {-type 1 -vlnv 1 -reference 1} 1 1] opts pos
    need_bd
    set name [lindex $pos 0]
    if {[dict exists $::cells $name]} { fail "create_bd_cell: $name exists" }
    switch -- [dict get $opts -type] {
        ip {
            set parts [split [dict get $opts -vlnv] :]
            set vlnv [join [lrange $parts 0 2] :]
            if {![dict exists $::ips $vlnv]} { fail "create_bd_cell: unknown IP $vlnv" }
            set def [dict get $::ips $vlnv]
            if {[llength $parts] == 4 && [lindex $parts 3] ne [dict get $def version]} {
                fail "create_bd_cell: $vlnv:[lindex $parts 3]: pin no Vivado IP version (the flow spans releases)"
            }
            if {[dict get $def repo] && $vlnv ni $::catalog} {
                fail "create_bd_cell: $vlnv is in no IP repository (set ip_repo_paths, update_ip_catalog)"
            }
            dict set ::cells $name [dict create type $vlnv config [dict get $def defaults] ports [dict get $def ports]]
        }
        module {
            set module [dict get $opts -reference]
            if {![dict exists $::modules $module] || [dict get $::modules $module file] ni $::compiled} {
                fail "create_bd_cell: module $module is in no added, compiled source"
            }
            dict set ::ips module:$module [dict create defaults {} valid {} derived {}]
            dict set ::cells $name [dict create type module:$module config {} \
                ports [dict get $::modules $module ports]]
        }
        default { fail "create_bd_cell: -type [dict get $opts -type]" }
    }
    changed
    return cell:$name
}

proc get_bd_cells {args} {
    lassign [call get_bd_cells $args {} 1 1] opts pos
    set cell [string trimleft [lindex $pos 0] /]
    if {![dict exists $::cells $cell]} { fail "get_bd_cells: no cell $cell" }
    return cell:$cell
}

proc get_bd_pins {args} {
    lassign [call get_bd_pins $args {} 1 1] opts pos
    port {*}[split [lindex $pos 0] /] pin
    return pin:[lindex $pos 0]
}

proc get_bd_intf_pins {args} {
    lassign [call get_bd_intf_pins $args {} 1 1] opts pos
    port {*}[split [lindex $pos 0] /] intf
    return intf:[lindex $pos 0]
}

proc apply_bd_automation {args} {
    lassign [call apply_bd_automation $args {-rule 1 -config 1} 1 1] opts pos
    set cell [handle cell [lindex $pos 0]]
    if {[dict get $::ips [dict get $::cells $cell type] rule] ne [dict get $opts -rule]} {
        fail "apply_bd_automation: rule [dict get $opts -rule] does not apply to $cell"
    }
    dict for {key value} [dict get $opts -config] {
        switch -- $key {
            apply_board_preset {
                if {$value && [proj board_part] eq ""} { fail "apply_bd_automation: a board preset needs a board part" }
            }
            make_external {
                foreach intf [split $value ,] {
                    port $cell [string trim $intf] intf
                    dict set ::connected $cell/[string trim $intf] external
                }
            }
            Master - Slave {
                if {$value ne "Disable"} { fail "apply_bd_automation: $key $value (the script connects)" }
            }
            default { fail "apply_bd_automation: unknown -config key $key" }
        }
    }
    changed
}

proc connect {cell_port} {
    if {[dict exists $::connected $cell_port]} { fail "$cell_port is connected already" }
    dict set ::connected $cell_port $::nets
}

# Connect the ports `handles` of `kind` as one net, checking that they exist and that their widths agree. -> their
# directions
proc join_net {kind handles} {
    set ends [lmap h $handles {handle $kind $h}]
    set dirs {}
    set widths {}
    foreach end $ends {
        lassign [split $end /] cell name
        set entry [port $cell $name $kind]
        lappend dirs [lindex $entry 2]
        if {[set w [width $cell $entry]] ne ""} { lappend widths $w }
    }
    if {[llength [lsort -unique $widths]] > 1} { fail "widths differ on $ends ($widths)" }
    incr ::nets
    foreach end $ends { connect $end }
    changed
    return $dirs
}

proc connect_bd_intf_net {args} {
    lassign [call connect_bd_intf_net $args {} 2 2] opts pos
    if {[lsort [join_net intf $pos]] ne {M S}} { fail "connect_bd_intf_net: $pos is not a master and a slave" }
    set ::addressed 0
}

proc connect_bd_net {args} {
    lassign [call connect_bd_net $args {} 2 64] opts pos
    if {[llength [lsearch -all [join_net pin $pos] O]] != 1} { fail "connect_bd_net: $pos needs one driver" }
}

proc assign_bd_address {args} {
    call assign_bd_address $args {} 0 0
    need_bd
    set ::addressed 1
    changed
}

proc validate_bd_design {args} {
    call validate_bd_design $args {-force 0} 0 0
    need_bd
    dict for {cell def} $::cells {
        foreach entry [dict get $def ports] {
            lassign $entry name kind dir required condition
            set exists [holds $cell $condition]
            if {$exists && $required && ![dict exists $::connected $cell/$name]} {
                fail "validate_bd_design: $cell/$name is not connected"
            }
            if {!$exists && [dict exists $::connected $cell/$name]} {
                fail "validate_bd_design: $cell/$name is connected but no longer exists"
            }
        }
    }
    if {!$::addressed} { fail "validate_bd_design: addresses not assigned after the last connection" }
    set ::validated 1
}

proc save_bd_design {args} {
    call save_bd_design $args {} 0 0
    need_bd
}

proc make_wrapper {args} {
    lassign [call make_wrapper $args {-files 1 -top 0 -import 0} 0 0] opts pos
    if {[handle file [dict get $opts -files]] ne "[proj dir]/[proj name].srcs/sources_1/bd/$::bd/$::bd.bd"} {
        fail "make_wrapper: -files is not the block design"
    }
    if {!$::validated} { fail "make_wrapper: the block design is not validated" }
    set ::wrapper [gen_dir]/hdl/${::bd}_wrapper.v
    produce $::wrapper "module ${::bd}_wrapper (); endmodule  // stand-in"
    return $::wrapper
}

# --- runs and reports ---------------------------------------------------------------------------------------------

proc synthesize {} {
    if {[proj top] eq "" || !$::validated} { fail "launch_runs synth_1: no validated design as top" }
    set hook [dict get $::runs synth_1 hook]
    if {$hook ne ""} { must_exist "synthesis hook" $hook }
    file mkdir [run_dir synth_1]
    produce [gen_dir]/hw_handoff/$::bd.hwh "<!-- stand-in hardware handoff of $::bd -->"
    dict set ::runs synth_1 state done
}

proc launch_runs {args} {
    lassign [call launch_runs $args {-jobs 1 -to_step 1} 1 1] opts pos
    need_project
    set jobs [expr {[dict exists $opts -jobs] ? [dict get $opts -jobs] : 1}]
    if {!([string is integer -strict $jobs] && $jobs > 0)} { fail "launch_runs: -jobs $jobs" }
    switch -- [lindex $pos 0] {
        synth_1 { synthesize }
        impl_1 {
            if {[dict get $::runs synth_1 state] ne "done"} { synthesize }
            set step [expr {[dict exists $opts -to_step] ? [dict get $opts -to_step] : "route_design"}]
            if {$step ni {opt_design place_design phys_opt_design route_design write_bitstream}} {
                fail "launch_runs: -to_step $step"
            }
            file mkdir [run_dir impl_1]
            if {$step eq "write_bitstream"} { produce [run_dir impl_1]/[proj top].bit "stand-in bitstream" }
            dict set ::runs impl_1 state done
        }
        default { fail "launch_runs: no run [lindex $pos 0]" }
    }
}

proc wait_on_run {args} {
    lassign [call wait_on_run $args {-timeout 1} 1 1] opts pos
    if {[dict get $::runs [lindex $pos 0] state] eq "new"} { fail "wait_on_run: [lindex $pos 0] was not launched" }
}

proc open_run {args} {
    lassign [call open_run $args {-name 1} 1 1] opts pos
    if {[dict get $::runs [lindex $pos 0] state] ne "done"} { fail "open_run: [lindex $pos 0] has not run" }
    set ::opened [lindex $pos 0]
}

proc report_file {name opts} {
    if {$::opened ne "impl_1"} { fail "$name: open_run impl_1 first" }
    if {![dict exists $opts -file]} { fail "$name: -file FILE expected" }
    must_exist "the folder of the report" [file dirname [dict get $opts -file]]
    return [dict get $opts -file]
}

# Reports in Vivado's layout (the rows compiler/backends/bitstream.py reads), with made-up numbers.
proc report_utilization {args} {
    lassign [call report_utilization $args {-file 1 -hierarchical 0} 0 0] opts pos
    set series7 [string match xc7* [proj part]]
    set rows {}
    foreach {label used available} [list [expr {$series7 ? "Slice LUTs" : "CLB LUTs"}] 12345 70560 \
            "  LUT as Memory" 678 28800 [expr {$series7 ? "Slice Registers" : "CLB Registers"}] 23456 141120 \
            "Block RAM Tile" 100.5 216 URAM 0 0 DSPs 300 360] {
        lappend rows [format "| %-26s | %6s |     0 |          0 | %9s | %5.2f |" $label $used $available \
            [expr {$available ? 100.0 * $used / $available : 0}]]
    }
    produce [report_file report_utilization $opts] [join [list "| Tool Version : Vivado v.stand-in (lin64)" \
        "| Device       : [proj part]" "" "1. Summary" "" \
        "|          Site Type         |  Used  | Fixed | Prohibited | Available | Util% |" {*}$rows] \n]
}

proc report_timing_summary {args} {
    lassign [call report_timing_summary $args {-file 1 -max_paths 1 -delay_type 1} 0 0] opts pos
    produce [report_file report_timing_summary $opts] [join [list "| Design Timing Summary" "" \
        "    WNS(ns)      TNS(ns)  TNS Failing Endpoints  TNS Total Endpoints      WHS(ns)      THS(ns)" \
        "    -------      -------  ---------------------  -------------------      -------      -------" \
        [format "  %9.3f    %9.3f  %21d  %19d    %9.3f    %9.3f" $::wns [expr {min($::wns, 0) * 7}] \
            [expr {$::wns < 0 ? 7 : 0}] 1000 0.010 0.000]] \n]
}

# --- run the script -----------------------------------------------------------------------------------------------

set script [lindex $argv 0]
set argv [lrange $argv 1 end]
set argc [llength $argv]
source $script

from agent.probes.battery import BatteryProbe, read_battery
from common.schema import Battery


def _supply(root, name, **files):
    directory = root / name
    directory.mkdir()
    for attribute, value in files.items():
        (directory / attribute).write_text(f"{value}\n")
    return directory


def test_energy_gauge_battery_in_watt_hours(tmp_path):
    supply = _supply(tmp_path, "BAT0", type="Battery", present=1, status="Discharging", technology="Li-poly",
                     manufacturer="SMP", model_name="5B10W13930", serial_number="  4721",
                     energy_full_design=57000000, energy_full=51300000, energy_now=40100000,
                     voltage_min_design=11520000, cycle_count=132, scope="System")
    battery = read_battery(supply)
    assert battery == {"name": "BAT0", "manufacturer": "SMP", "model": "5B10W13930", "serial": "4721",
                       "technology": "Li-poly", "design_capacity_wh": 57.0, "full_capacity_wh": 51.3, "cycle_count": 132}
    Battery.model_validate(battery)


def test_charge_gauge_battery_uses_the_design_voltage(tmp_path):
    supply = _supply(tmp_path, "BAT1", type="Battery", present=1, technology="Li-ion", manufacturer="LGC",
                     model_name="DELL 7FHHV07", serial_number="", charge_full_design=4400000, charge_full=3900000,
                     voltage_min_design=11400000, cycle_count=0)
    assert read_battery(supply) == {"name": "BAT1", "manufacturer": "LGC", "model": "DELL 7FHHV07",
                                    "technology": "Li-ion", "design_capacity_wh": 50.16, "full_capacity_wh": 44.46,
                                    "cycle_count": 0}


def test_probe_keeps_system_batteries_only(tmp_path):
    _supply(tmp_path, "AC", type="Mains", online=1)
    _supply(tmp_path, "BAT0", type="Battery", present=1, technology="Unknown", energy_full_design=45000000)
    _supply(tmp_path, "BAT1", type="Battery", present=0)  # empty second bay
    _supply(tmp_path, "hidpp_battery_0", type="Battery", scope="Device", model_name="MX Master 3")
    _supply(tmp_path, "ucsi-source-psy-USBC000:001", type="USB", scope="System")
    assert BatteryProbe(tmp_path).collect() == {"batteries": [{"name": "BAT0", "design_capacity_wh": 45.0}]}


def test_unreadable_values_are_left_out(tmp_path):
    supply = _supply(tmp_path, "BAT0", type="Battery", energy_full="", cycle_count="-1")
    (supply / "energy_full_design").mkdir()  # read fails: as when a driver returns ENODEV
    assert read_battery(supply) == {"name": "BAT0"}

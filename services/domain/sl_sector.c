/* sl_sector.c — the 16 sectors (领域) of the campaign plan and their departments.
 *
 * One static table in DOMAIN.md's order; value i+1 sits at index i, which
 * sl_sector_by_value relies on. Province names follow DOMAIN.md's rule (厅
 * instead of 局, 总队 for the fire service); correct them here, as data, if a
 * province names a department otherwise. Each dept_key must equal the one in
 * schema/data/sectors.csv: units are made from the database's copy
 * (sl_unit_sync), routes from this table (test_codec checks they agree). */
#include "sl_sector.h"

#include <string.h>

static const sl_sector_t s_sectors[SL_SECTOR_COUNT] = {
    {1, "COAL_MINE", "煤矿", "煤", "应急管理局", "emergency", "应急管理厅", "应急管理局",
     "应急管理局"},
    {2, "NON_COAL_MINE", "非煤矿山", "非煤", "应急管理局", "emergency", "应急管理厅", "应急管理局",
     "应急管理局"},
    {3, "HAZARDOUS_CHEMICALS", "危险化学品", "危化", "应急管理局", "emergency", "应急管理厅",
     "应急管理局", "应急管理局"},
    {4, "ROAD_TRANSPORT", "道路运输", "道运", "交通运输局", "transport", "交通运输厅", "交通运输局",
     "交通运输局"},
    {5, "CONSTRUCTION", "建筑施工", "建筑", "住房和城乡建设局", "housing", "住房和城乡建设厅",
     "住房和城乡建设局", "住房和城乡建设局"},
    {6, "CITY_GAS", "城镇燃气", "燃气", "城市管理局", "urban", "城市管理厅", "城市管理局",
     "城市管理局"},
    {7, "TEMPORARY_BUILDINGS", "工地临时建筑", "临建", "住房和城乡建设局", "housing",
     "住房和城乡建设厅", "住房和城乡建设局", "住房和城乡建设局"},
    {8, "CIVIL_EXPLOSIVES", "民爆物品", "民爆", "公安局", "police", "公安厅", "公安局", "公安局"},
    {9, "CULTURE_TOURISM", "文化旅游", "文旅", "文化和旅游局", "culture", "文化和旅游厅",
     "文化和旅游局", "文化和旅游局"},
    {10, "INDUSTRIAL_PARKS", "工业园区等功能区", "园区", "工业和信息化局", "industry",
     "工业和信息化厅", "工业和信息化局", "工业和信息化局"},
    {11, "HAZARDOUS_WASTE", "危废处置", "危废", "生态环境局", "ecology", "生态环境厅", "生态环境局",
     "生态环境局"},
    {12, "SPECIAL_EQUIPMENT", "特种设备", "特设", "市场监督管理局", "market", "市场监督管理厅",
     "市场监督管理局", "市场监督管理局"},
    {13, "METALLURGY", "金属冶炼", "冶金", "应急管理局", "emergency", "应急管理厅", "应急管理局",
     "应急管理局"},
    {14, "FIRE_SAFETY", "消防安全", "消防", "消防救援大队/支队", "fire", "消防救援总队",
     "消防救援支队", "消防救援大队"},
    {15, "FOREST_FIRE", "森林防火", "森防", "规划和自然资源局", "resources",
     "规划和自然资源厅", "规划和自然资源局", "规划和自然资源局"},
    {16, "MINERAL_EXPLOITATION", "开采矿产资源", "矿产", "规划和自然资源局", "resources",
     "规划和自然资源厅", "规划和自然资源局", "规划和自然资源局"},
};

const sl_sector_t *
sl_sector_by_value(int v)
{
    if (v < 1 || v > SL_SECTOR_COUNT)
        return NULL;
    return &s_sectors[v - 1];
}

const sl_sector_t *
sl_sector_by_name(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < SL_SECTOR_COUNT; i++)
        if (strcmp(s_sectors[i].name, name) == 0)
            return &s_sectors[i];
    return NULL;
}

const sl_sector_t *
sl_sector_by_short(const char *short_zh)
{
    if (!short_zh)
        return NULL;
    for (size_t i = 0; i < SL_SECTOR_COUNT; i++)
        if (strcmp(s_sectors[i].short_zh, short_zh) == 0)
            return &s_sectors[i];
    return NULL;
}

const sl_sector_t *
sl_sector_at(size_t i)
{
    return i < SL_SECTOR_COUNT ? &s_sectors[i] : NULL;
}
